namespace LoadBalancer.EndToEnd.Tests;

/// <summary>
/// The emulator port of a test's sandbox (the controller's metrics take the port after it). Below Linux's ephemeral
/// range (net.ipv4.ip_local_port_range starts at 32768): a port in that range can be taken at any moment as the local
/// end of some outgoing connection, and the sandbox then fails with "address already in use" (seen in CI). Offsets are
/// even so that two sandboxes' port pairs never overlap; the process id spreads parallel runs.
/// </summary>
internal static class SandboxPorts
{
    private const int First = 20000, Span = 12000;

    public static int Api(int offset) => First + 2 * ((Environment.ProcessId + offset) % (Span / 2));
}

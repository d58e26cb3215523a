namespace LoadBalancer.Sandbox;

/// <summary>A sandbox failure with a message meant for the user (one line, says what to do).</summary>
public sealed class SandboxException(string message) : Exception(message);

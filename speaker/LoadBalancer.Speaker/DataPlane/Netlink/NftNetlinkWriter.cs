using System.Buffers;
using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane.Netlink;

/// <summary>
/// Sends incremental transactions to the kernel as one nf_tables netlink batch (AF_NETLINK, NETLINK_NETFILTER):
/// no nft process, no cache read of the table, so the cost of one Service change does not depend on the number of
/// Services on our side (the kernel's own commit still validates the table's jump graph). The socket is opened in
/// the given network namespace and stays bound to it.
/// </summary>
internal sealed class NftNetlinkWriter : IDisposable
{
    private const int SOL_SOCKET = 1, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
    private const int MaxBatch = 64 << 20;
    private readonly Socket _socket;
    private readonly object _gate = new();
    private uint _sequence = (uint)Environment.TickCount;

    private NftNetlinkWriter(Socket socket) => _socket = socket;

    public string Name => "netlink";

    public static NftNetlinkWriter Open(string? netnsPath)
    {
        using var thread = new NamespaceThread("nft-netlink", netnsPath);
        var socket = thread.InvokeAsync(() =>
        {
            var fd = LoadBalancer.Speaker.Interop.Interop.Libc.Socket(LoadBalancer.Speaker.Interop.Interop.Linux.AF_NETLINK,
                LoadBalancer.Speaker.Interop.Interop.Linux.SOCK_RAW | LoadBalancer.Speaker.Interop.Interop.Linux.SOCK_CLOEXEC, NftNetlink.NETLINK_NETFILTER);
            if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "socket(AF_NETLINK, NETLINK_NETFILTER)");
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }).GetAwaiter().GetResult();
        try
        {
            socket.SetRawSocketOption(SOL_SOCKET, SO_SNDBUFFORCE, BitConverter.GetBytes(MaxBatch));
            socket.SetRawSocketOption(SOL_SOCKET, SO_RCVBUFFORCE, BitConverter.GetBytes(16 << 20));
            // Errors carry only the refused message's header (not its payload), plus the kernel's extended message.
            socket.SetRawSocketOption(SOL_NETLINK, NETLINK_CAP_ACK, BitConverter.GetBytes(1));
            socket.SetRawSocketOption(SOL_NETLINK, NETLINK_EXT_ACK, BitConverter.GetBytes(1));
        }
        catch (SocketException)
        {
            // Not root or an old kernel: the defaults do for small batches.
        }
        return new NftNetlinkWriter(socket);
    }

    /// <summary>True when every operation of <paramref name="ops"/> can be sent as netlink; else <paramref name="why"/> names the first that cannot.</summary>
    public static bool Covers(IReadOnlyList<NftOp> ops, out string? why)
    {
        foreach (var op in ops)
            if (!NftNetlink.Covers(op, out why)) return false;
        why = null;
        return true;
    }

    /// <summary>
    /// Sends <paramref name="ops"/> as one batch and waits for the kernel's answer to every message. On a refusal the
    /// kernel has applied nothing; the error names the operation and its Service.
    /// </summary>
    public NftResult Apply(string table, IReadOnlyList<NftOp> ops)
    {
        lock (_gate)
        {
            var size = 4096 + ops.Count * 512;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    var first = _sequence;
                    if (!NftNetlink.TryEncode(table, ops, first, buffer, out var length, out var unsupported))
                    {
                        if (unsupported is not null) return new NftResult(false, "", "not expressible as netlink: " + unsupported);
                        if (size >= MaxBatch) return new NftResult(false, "", "transaction larger than " + MaxBatch + " bytes");
                        size *= 4;
                        continue;
                    }
                    _sequence = first + (uint)ops.Count + 2;
                    return SendAndWait(buffer.AsSpan(0, length), first, ops);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    private NftResult SendAndWait(ReadOnlySpan<byte> batch, uint first, IReadOnlyList<NftOp> ops)
    {
        _socket.Send(batch);
        var answers = new List<(uint Sequence, int Error)>();
        var pending = new HashSet<uint>();
        for (var i = 0; i < ops.Count; i++) pending.Add(first + 1 + (uint)i);
        var errors = new List<string>();
        var receive = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            var deadline = Environment.TickCount64 + 30_000;
            while (pending.Count > 0)
            {
                // The kernel answers while processing the send: everything is queued by now; the wait is a safety net.
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !_socket.Poll(TimeSpan.FromMilliseconds(Math.Min(left, errors.Count > 0 ? 50 : 30_000)), SelectMode.SelectRead))
                    break;
                var n = _socket.Receive(receive);
                answers.Clear();
                NftNetlink.ParseAnswers(receive.AsSpan(0, n), answers);
                foreach (var (seq, error) in answers)
                {
                    pending.Remove(seq);
                    if (error == 0) continue;
                    var index = (long)seq - first - 1;
                    var what = index >= 0 && index < ops.Count ? Describe(ops[(int)index]) : "the batch";
                    errors.Add($"the kernel refused {what}: {Marshal.GetPInvokeErrorMessage(-error)} (errno {-error})");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(receive);
        }
        if (errors.Count > 0) return new NftResult(false, "", string.Join("; ", errors));
        if (pending.Count > 0) return new NftResult(false, "", $"no answer from the kernel for {pending.Count} of {ops.Count} messages");
        return new NftResult(true, "", "");
    }

    private static string Describe(NftOp op)
    {
        var what = op.Kind switch
        {
            NftOpKind.AddRule => $"rule \"{op.Text}\" in chain {op.Name}",
            NftOpKind.AddElements or NftOpKind.DeleteElements => $"{(op.Kind == NftOpKind.AddElements ? "adding" : "deleting")} element(s) "
                + string.Join(", ", op.Elements!.Take(3).Select(e => e.Render())) + $" of {op.Name}",
            _ => $"{op.Kind} {op.Name}",
        };
        return $"{what} (Service {op.Service})";
    }

    public void Dispose() => _socket.Dispose();
}

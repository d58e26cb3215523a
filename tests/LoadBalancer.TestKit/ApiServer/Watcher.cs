using System.Threading.Channels;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>A subscription to one storage's changes; the store writes, the HTTP handler reads.</summary>
internal sealed class Watcher
{
    private readonly Channel<WatchEvent> _channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });

    public Watcher(string storageKey, string? ns)
    {
        StorageKey = storageKey;
        Namespace = ns;
    }

    public string StorageKey { get; }

    /// <summary>Only events of this namespace; null for all.</summary>
    public string? Namespace { get; }

    public ChannelReader<WatchEvent> Reader => _channel.Reader;

    /// <summary>Fires when the fault injector drops the stream or the server stops.</summary>
    public CancellationTokenSource Dropped { get; } = new();

    public void Publish(WatchEvent e)
    {
        if (Namespace is null || Namespace == e.Object.Namespace) _channel.Writer.TryWrite(e);
    }

    public void Drop()
    {
        _channel.Writer.TryComplete();
        try { Dropped.Cancel(); } catch (ObjectDisposedException) { }
    }
}

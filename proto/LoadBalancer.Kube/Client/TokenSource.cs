namespace LoadBalancer.Kube;

/// <summary>
/// The bearer token: a fixed one, or a file re-read when it changes (kubelet rewrites projected service-account
/// tokens before they expire). The file's modification time is checked at most every <see cref="CheckInterval"/>.
/// </summary>
internal sealed class TokenSource(string? token, string? tokenFile, TimeProvider timeProvider)
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private string? _cached;
    private DateTime _mtime;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    public string? Current()
    {
        if (tokenFile is null) return token;
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            if (_cached is not null && now - _checkedAt < CheckInterval) return _cached;
            _checkedAt = now;
            try
            {
                var mtime = File.GetLastWriteTimeUtc(tokenFile);
                if (_cached is null || mtime != _mtime)
                {
                    _cached = File.ReadAllText(tokenFile).Trim();
                    _mtime = mtime;
                }
            }
            catch (IOException) when (_cached is not null)
            {
                // Keep the last token while the file is being swapped; the next check reads it again.
            }
            catch (UnauthorizedAccessException) when (_cached is not null)
            {
            }
            return _cached ?? token;
        }
    }

    /// <summary>Forces a re-read on the next call (after a 401).</summary>
    public void Invalidate()
    {
        lock (_gate) { _checkedAt = DateTimeOffset.MinValue; _mtime = default; }
    }
}

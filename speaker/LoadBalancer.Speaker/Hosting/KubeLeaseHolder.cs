using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// The speaker's liveness Lease <c>speaker-&lt;node&gt;</c> in its namespace: holder = node name,
/// <c>leaseDurationSeconds</c> = <see cref="SpeakerOptions.LeaseDuration"/>, renewTime = now on every renewal.
/// A conflict (someone else wrote it) re-reads it on the next renewal. Release deletes it.
/// </summary>
internal sealed class KubeLeaseHolder(IKubeClient client, SpeakerOptions options, TimeProvider time) : ILeaseHolder
{
    private V1Lease? _current;

    private string Name => SpeakerLiveness.LeaseName(options.NodeName);

    public async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var seconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds);
        try
        {
            if (_current is null)
            {
                try
                {
                    _current = await client.GetAsync(KubeResources.Leases, options.Namespace, Name, cancellationToken).ConfigureAwait(false);
                }
                catch (KubeNotFoundException)
                {
                    _current = await client.CreateAsync(KubeResources.Leases, new V1Lease
                    {
                        Metadata = new ObjectMeta
                        {
                            Name = Name,
                            Namespace = options.Namespace,
                            Labels = new() { ["app.kubernetes.io/component"] = "speaker", ["lb.baremetal.dev/node"] = LabelValue(options.NodeName) },
                        },
                        Spec = new LeaseSpec { HolderIdentity = options.NodeName, LeaseDurationSeconds = seconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 0 },
                    }, cancellationToken).ConfigureAwait(false);
                    return true;
                }
            }
            var spec = _current.Spec ??= new LeaseSpec();
            if (spec.HolderIdentity != options.NodeName)
            {
                spec.HolderIdentity = options.NodeName;
                spec.AcquireTime = now;
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
            }
            spec.LeaseDurationSeconds = seconds;
            spec.RenewTime = now;
            _current = await client.ReplaceAsync(KubeResources.Leases, _current, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubeApiException e) when (e is KubeConflictException or KubeNotFoundException)
        {
            _current = null;
            return false;
        }
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        _current = null;
        try
        {
            await client.DeleteAsync(KubeResources.Leases, options.Namespace, Name, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeNotFoundException)
        {
        }
    }

    /// <summary>A label value (at most 63 characters): long node names keep a prefix and a hash.</summary>
    public static string LabelValue(string s) => s.Length <= 63 ? s
        : s[..46] + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)))[..16];
}

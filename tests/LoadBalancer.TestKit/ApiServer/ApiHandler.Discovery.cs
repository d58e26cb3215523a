using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace LoadBalancer.TestKit.ApiServer;

internal sealed partial class ApiHandler
{
    [GeneratedRegex("^v(\\d+)(?:(alpha|beta)(\\d+))?$")]
    private static partial Regex KubeVersion();

    /// <summary>/version, /healthz, /api, /apis and the group/version resource lists; false when the path is a resource path.</summary>
    private async Task<bool> TryDiscoveryAsync(HttpContext ctx, string[] s)
    {
        if (ctx.Request.Method != "GET") return false;
        if (s is ["openapi", "v2"])
        {
            await WriteOpenApiV2Async(ctx).ConfigureAwait(false);
            return true;
        }
        if (s is not (["version"] or ["healthz"] or ["livez"] or ["readyz"] or ["api"] or ["apis"] or ["apis", _] or ["api", _] or ["apis", _, _] or ["openapi", ..]))
            return false;
        JsonNode? body = s switch
        {
            ["version"] => VersionInfo(),
            ["healthz"] or ["livez"] or ["readyz"] => null,
            ["api"] => new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = ctx.Request.Host.Value }),
            },
            ["apis"] => GroupList(),
            ["apis", var g] => Group(g) ?? throw NotFoundPath(),
            ["api", var v] => ResourceList("", v) ?? throw NotFoundPath(),
            ["apis", var g, var v] => ResourceList(g, v) ?? throw NotFoundPath(),
            ["openapi", "v3", ..] => OpenApiV3(s) ?? throw NotFoundPath(),
            ["openapi", ..] => throw NotFoundPath(),
            _ => throw NotFoundPath(),
        };
        if (body is null)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("ok", ctx.RequestAborted).ConfigureAwait(false);
            return true;
        }
        await WriteJsonAsync(ctx, 200, body).ConfigureAwait(false);
        return true;
    }

    private static ApiException NotFoundPath() => new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    private JsonObject VersionInfo()
    {
        var parts = _options.KubernetesVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts.ElementAtOrDefault(0) ?? "1",
            ["minor"] = parts.ElementAtOrDefault(1) ?? "32",
            ["gitVersion"] = _options.KubernetesVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.23.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
            ["emulator"] = "LoadBalancer.TestKit.ApiServer",
        };
    }

    /// <summary>Kubernetes version priority: GA before beta before alpha, higher numbers first.</summary>
    internal static int CompareVersions(string a, string b)
    {
        static (int Rank, int Major, int Minor) Key(string v)
        {
            var m = KubeVersion().Match(v);
            if (!m.Success) return (0, 0, 0);
            var major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (!m.Groups[2].Success) return (3, major, 0);
            return (m.Groups[2].Value == "beta" ? 2 : 1, major, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        }
        var (ra, ma, na) = Key(a);
        var (rb, mb, nb) = Key(b);
        if (ra != rb) return rb.CompareTo(ra);
        if (ma != mb) return mb.CompareTo(ma);
        if (na != nb) return nb.CompareTo(na);
        return string.CompareOrdinal(a, b);
    }

    private List<(string Group, List<string> Versions)> Groups()
    {
        var order = new List<string>();
        var versions = new Dictionary<string, List<string>>();
        foreach (var t in Registry.All)
        {
            if (t.Group.Length == 0) continue;
            if (!versions.TryGetValue(t.Group, out var list))
            {
                versions[t.Group] = list = [];
                order.Add(t.Group);
            }
            if (!list.Contains(t.Version)) list.Add(t.Version);
        }
        return order.Select(g => (g, versions[g].OrderBy(v => v, Comparer<string>.Create(CompareVersions)).ToList())).ToList();
    }

    private static JsonObject GroupObject(string group, List<string> versions)
    {
        var vs = new JsonArray();
        foreach (var v in versions) vs.Add(new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v });
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = vs,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var (g, vs) in Groups()) groups.Add(GroupObject(g, vs));
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private JsonObject? Group(string group)
    {
        var found = Groups().FirstOrDefault(g => g.Group == group);
        if (found.Group is null) return null;
        var o = GroupObject(found.Group, found.Versions);
        o["kind"] = "APIGroup";
        o["apiVersion"] = "v1";
        return o;
    }

    private JsonObject? ResourceList(string group, string version)
    {
        var types = Registry.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0) return null;
        var resources = new JsonArray();
        foreach (var t in types)
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.SingularName,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray(t.Verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            };
            if (t.ShortNames.Count > 0) r["shortNames"] = new JsonArray(t.ShortNames.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            if (t.Categories.Count > 0) r["categories"] = new JsonArray(t.Categories.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            r["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(t.StorageKey)))[..11];
            resources.Add(r);
            if (t.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }
}

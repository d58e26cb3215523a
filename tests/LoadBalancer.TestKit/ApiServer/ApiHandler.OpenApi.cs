using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

internal sealed partial class ApiHandler
{
    /// <summary>
    /// /openapi/v3 as far as kubectl needs it: an index of group/versions and, per group/version, the PATCH
    /// operations with their GVK, the fieldValidation parameter (so kubectl validates server-side) and the patch
    /// content types (strategic merge for built-ins only). No component schemas: kubectl then builds strategic
    /// merge patches from its compiled-in types, as it does for a server without OpenAPI. /openapi/v2 is 404.
    /// </summary>
    private async Task WriteOpenApiV2Async(Microsoft.AspNetCore.Http.HttpContext ctx)
    {
        // An empty swagger 2.0 document: kubectl's client-side validation finds no schema and skips, as it does
        // for kinds a real server does not publish. kubectl asks for the gnostic protobuf form.
        if (ctx.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal))
        {
            var info = Concat(Field(1, "Kubernetes"), Field(2, _options.KubernetesVersion));
            var doc = Concat(Field(1, "2.0"), Field(2, info));
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
            await ctx.Response.Body.WriteAsync(doc, ctx.RequestAborted).ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = _options.KubernetesVersion },
            ["paths"] = new JsonObject(),
            ["definitions"] = new JsonObject(),
        }).ConfigureAwait(false);
    }

    private static byte[] Field(int number, string value) => Field(number, Encoding.UTF8.GetBytes(value));

    /// <summary>A protobuf length-delimited field (lengths here are always below 128).</summary>
    private static byte[] Field(int number, byte[] value) => [(byte)((number << 3) | 2), (byte)value.Length, .. value];

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    private JsonObject? OpenApiV3(string[] s)
    {
        var groupVersions = Registry.All.GroupBy(t => (t.Group, t.Version)).ToList();
        if (s.Length == 2)
        {
            var paths = new JsonObject();
            foreach (var g in groupVersions)
            {
                var key = g.Key.Group.Length == 0 ? "api/" + g.Key.Version : "apis/" + g.Key.Group + "/" + g.Key.Version;
                var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", g.Select(t => t.Kind + t.Plural + t.CrdName)))))[..16];
                paths[key] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/" + key + "?hash=" + hash };
            }
            return new JsonObject { ["paths"] = paths };
        }
        var rest = string.Join('/', s[2..]);
        var gv = groupVersions.FirstOrDefault(g => (g.Key.Group.Length == 0 ? "api/" + g.Key.Version : "apis/" + g.Key.Group + "/" + g.Key.Version) == rest);
        if (gv is null) return null;
        var docPaths = new JsonObject();
        foreach (var t in gv)
        {
            var prefix = t.Group.Length == 0 ? "/api/" + t.Version : "/apis/" + t.Group + "/" + t.Version;
            var path = prefix + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural + "/{name}";
            var content = new JsonObject
            {
                ["application/json-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
                ["application/apply-patch+yaml"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
            };
            if (t.CrdName is null) content["application/strategic-merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } };
            var gvk = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
            docPaths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = "patch" + t.Kind,
                    ["parameters"] = new JsonArray(
                        new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "force", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "boolean" } }),
                    ["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true },
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = gvk,
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = _options.KubernetesVersion },
            ["paths"] = docPaths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }
}

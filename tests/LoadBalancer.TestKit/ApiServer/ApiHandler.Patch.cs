using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LoadBalancer.TestKit.ApiServer;

internal sealed partial class ApiHandler
{
    private async Task PatchAsync(HttpContext ctx, Target t, bool dryRun)
    {
        var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim();
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        var ns = t.Namespace ?? "";
        var name = t.Name!;
        var status = t.Subresource == "status";
        var validation = ctx.Request.Query["fieldValidation"].ToString();
        JsonObject result;
        var code = 200;
        switch (contentType)
        {
            case "application/merge-patch+json":
                {
                    var patch = ApiJson.ParseObject(body);
                    result = _store.Mutate(t.Type, ns, name, current => (JsonObject)Patching.MergePatch(current, patch)!, status, dryRun, fieldValidation: validation);
                    break;
                }
            case "application/strategic-merge-patch+json":
                {
                    if (t.Type.CrdName is not null)
                        throw new ApiException(415, "UnsupportedMediaType",
                            $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
                    var patch = ApiJson.ParseObject(body);
                    result = _store.Mutate(t.Type, ns, name, current => Patching.StrategicMerge(current, patch), status, dryRun, fieldValidation: validation);
                    break;
                }
            case "application/json-patch+json":
                {
                    JsonArray ops;
                    try
                    {
                        ops = JsonNode.Parse(body) as JsonArray ?? throw ApiException.BadRequest("json patch is not an array");
                    }
                    catch (System.Text.Json.JsonException e)
                    {
                        throw ApiException.BadRequest("the body of the request was in an unknown format: " + e.Message);
                    }
                    result = _store.Mutate(t.Type, ns, name, current =>
                        Patching.JsonPatch(current, ops) as JsonObject ?? throw ApiException.BadRequest("json patch did not produce an object"), status, dryRun, fieldValidation: validation);
                    break;
                }
            case "application/apply-patch+yaml" or "application/apply-patch+cbor":
                {
                    var manager = ctx.Request.Query["fieldManager"].ToString();
                    if (manager.Length == 0)
                        throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set");
                    var applied = ApiYaml.ParseObject(Encoding.UTF8.GetString(body));
                    var appliedName = ApiJson.Str(applied["metadata"]?["name"]);
                    if (appliedName is not null && appliedName != name)
                        throw ApiException.BadRequest($"the name of the object ({appliedName}) does not match the name on the URL ({name})");
                    var created = false;
                    result = _store.Mutate(t.Type, ns, name, current =>
                        {
                            var patch = Patching.ApplyPatch(_apply.LastApplied(t.Type, ns, name, manager), applied);
                            return t.Type.CrdName is null
                                ? Patching.StrategicMerge(current, patch)
                                : (JsonObject)Patching.MergePatch(current, patch)!;
                        }, status, dryRun,
                        createIfMissing: () =>
                        {
                            created = true;
                            var fresh = (JsonObject)applied.DeepClone();
                            ApiJson.Metadata(fresh)["name"] = name;
                            return fresh;
                        }, fieldValidation: validation);
                    if (!dryRun) _apply.Remember(t.Type, ns, name, manager, applied);
                    if (created) code = 201;
                    break;
                }
            default:
                throw new ApiException(415, "UnsupportedMediaType",
                    $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        }
        await WriteJsonAsync(ctx, code, result).ConfigureAwait(false);
    }
}

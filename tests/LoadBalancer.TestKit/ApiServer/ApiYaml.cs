using System.Text.Json.Nodes;
using LoadBalancer.Yaml;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>YAML request bodies and files read as the API server does (<see cref="YamlJson"/>), errors as 400 Bad Request.</summary>
internal static class ApiYaml
{
    /// <summary>Every document that is an object (empty documents skipped).</summary>
    public static List<JsonObject> ParseDocuments(string yaml)
        => YamlJson.TryParseObjects(yaml, out var objects, out var error) ? objects : throw ApiException.BadRequest("error converting YAML to JSON: " + error);

    public static JsonObject ParseObject(string yaml) =>
        ParseDocuments(yaml).FirstOrDefault() ?? throw ApiException.BadRequest("the body of the request was empty");
}

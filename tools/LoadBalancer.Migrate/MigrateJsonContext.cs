using System.Text.Json.Serialization;

namespace LoadBalancer.Migrate;

/// <summary>Source-generated JSON metadata (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(string))]
internal sealed partial class MigrateJsonContext : JsonSerializerContext;

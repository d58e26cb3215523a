namespace LoadBalancer.Model.Config;

/// <summary>Names one CR: kind, namespace, name.</summary>
public readonly record struct ObjectRef(string Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>A validation error naming the object and the field path (<c>spec.addresses[1]</c>).</summary>
public sealed record ConfigError(ObjectRef Object, string Field, string Message)
{
    public override string ToString() => $"{Object}: {Field}: {Message}";
}

/// <summary>What the build concluded for one input object.</summary>
public sealed record ObjectValidity(ObjectRef Object, IReadOnlyList<ConfigError> Errors, bool LastGoodInForce)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>The message for the object's <c>Valid</c> condition.</summary>
    public string Message => IsValid
        ? "the object is valid and in use"
        : string.Join("; ", Errors.Select(e => $"{e.Field}: {e.Message}"))
          + (LastGoodInForce ? " (the last valid version of this object stays in force)" : " (the object is ignored)");
}

/// <summary>The outcome of <see cref="ConfigBuilder.Build"/>: the configuration in force and every error.</summary>
public sealed class ConfigResult
{
    public ConfigResult(LoadBalancerConfig config, IReadOnlyList<ConfigError> errors, IReadOnlyDictionary<ObjectRef, ObjectValidity> objects)
    {
        Config = config;
        Errors = errors;
        Objects = objects;
    }

    /// <summary>Valid objects, plus the last good version of objects that are now invalid.</summary>
    public LoadBalancerConfig Config { get; }
    public IReadOnlyList<ConfigError> Errors { get; }
    /// <summary>One entry per input object.</summary>
    public IReadOnlyDictionary<ObjectRef, ObjectValidity> Objects { get; }
    public bool IsValid => Errors.Count == 0;

    /// <summary>The source object (a deep copy) and its fingerprint behind each entry in force, for the next build.</summary>
    internal IReadOnlyDictionary<ObjectRef, (object Source, string Fingerprint)> Sources { get; init; } = new Dictionary<ObjectRef, (object, string)>();
}

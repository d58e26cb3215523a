using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>A failure the emulator answers with a Kubernetes <c>Status</c> body.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, JsonObject? details = null) : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public ApiException() : this(500, "InternalError", "internal error") { }

    public ApiException(string message) : this(500, "InternalError", message) { }

    public ApiException(string message, Exception innerException) : base(message, innerException)
    {
        Code = 500;
        Reason = "InternalError";
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    /// <summary>Extra response headers (e.g. Retry-After).</summary>
    public int? RetryAfterSeconds { get; init; }

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details?.DeepClone().AsObject());

    public static JsonObject Status(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return status;
    }

    internal static JsonObject DetailsFor(ResourceType type, string? name)
    {
        var d = new JsonObject();
        if (name is not null) d["name"] = name;
        if (type.Group.Length > 0) d["group"] = type.Group;
        d["kind"] = type.Plural;
        return d;
    }

    internal static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedPlural} \"{name}\" not found", DetailsFor(type, name));

    internal static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedPlural} \"{name}\" already exists", DetailsFor(type, name));

    internal static ApiException Conflict(ResourceType type, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            DetailsFor(type, name));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    /// <summary>422 with one cause per field error, formatted like the real server.</summary>
    internal static ApiException Invalid(ResourceType type, string name, IReadOnlyList<FieldError> errors)
    {
        var causes = new JsonArray();
        foreach (var e in errors)
            causes.Add(new JsonObject { ["reason"] = e.Type, ["message"] = e.Detail, ["field"] = e.Field });
        // Invalid carries the kind (not the resource) in details, as the real server does.
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0) details["group"] = type.Group;
        details["kind"] = type.Kind;
        details["causes"] = causes;
        var group = type.Group.Length > 0 ? type.Kind + "." + type.Group : type.Kind;
        var message = $"{group} \"{name}\" is invalid: " +
            (errors.Count == 1 ? errors[0].Message : "[" + string.Join(", ", errors.Select(e => e.Message)) + "]");
        return new ApiException(422, "Invalid", message, details);
    }
}

/// <summary>
/// One validation failure: <see cref="Type"/> is the cause reason (FieldValueRequired, FieldValueInvalid...),
/// <see cref="Detail"/> the cause message without the field (as the server sends it), <see cref="Message"/> both.
/// </summary>
public sealed record FieldError(string Type, string Field, string Detail)
{
    public string Message => Field + ": " + Detail;

    public static FieldError Required(string field, string detail = "") =>
        new("FieldValueRequired", field, detail.Length == 0 ? "Required value" : "Required value: " + detail);

    public static FieldError Invalid(string field, string value, string detail) => new("FieldValueInvalid", field, $"Invalid value: {value}: {detail}");

    public static FieldError NotSupported(string field, string value, IEnumerable<string> allowed) =>
        new("FieldValueNotSupported", field, $"Unsupported value: {value}: supported values: {string.Join(", ", allowed.Select(a => "\"" + a + "\""))}");

    public static FieldError Forbidden(string field, string detail) => new("FieldValueForbidden", field, $"Forbidden: {detail}");

    public static FieldError TypeInvalid(string field, string value, string detail) => new("FieldValueTypeInvalid", field, $"Invalid value: {value}: {detail}");

    public static FieldError TooLong(string field, string detail) => new("FieldValueTooLong", field, $"Too long: {detail}");

    public static FieldError TooMany(string field, string detail) => new("FieldValueTooMany", field, $"Too many: {detail}");

    public static FieldError Duplicate(string field, string value) => new("FieldValueDuplicate", field, $"Duplicate value: {value}");
}

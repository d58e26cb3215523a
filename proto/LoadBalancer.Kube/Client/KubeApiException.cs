using System.Net;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>
/// A failed API call: the HTTP status code, the <c>Status.reason</c> (NotFound, Conflict, AlreadyExists, Invalid,
/// Expired, Gone, TooManyRequests, InternalError...) and the API's <c>Status</c> with its message. A transport
/// failure (connection refused, TLS, a broken stream) has <see cref="StatusCode"/> 0 and reason <c>Transport</c>,
/// with the original exception as inner exception.
/// </summary>
public class KubeApiException : Exception
{
    public KubeApiException() : this(0, "Unknown", null, "Kubernetes API call failed") { }

    public KubeApiException(string message) : this(0, "Unknown", null, message) { }

    public KubeApiException(string message, Exception innerException) : this(0, TransportReason, null, message, innerException) { }

    public KubeApiException(int statusCode, string reason, Status? status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Reason = reason;
        Status = status;
    }

    public const string TransportReason = "Transport";

    /// <summary>HTTP status code (or the Status code of a watch ERROR event); 0 for a transport failure.</summary>
    public int StatusCode { get; }
    /// <summary><c>Status.reason</c>, or a reason derived from the status code when the body had none.</summary>
    public string Reason { get; }
    /// <summary>The API's Status body when there was one.</summary>
    public Status? Status { get; }

    public HttpStatusCode HttpStatusCode => (HttpStatusCode)StatusCode;
    /// <summary>Retry-After from the response or Status details (429, 503, 500 with retry hint).</summary>
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>True for failures a caller may retry as is: transport, 429, 500, 502, 503, 504.</summary>
    public bool IsTransient => StatusCode is 0 or 429 or 500 or 502 or 503 or 504;
}

/// <summary>404 NotFound.</summary>
public sealed class KubeNotFoundException : KubeApiException
{
    public KubeNotFoundException() : base(404, "NotFound", null, "not found") { }
    public KubeNotFoundException(string message) : base(404, "NotFound", null, message) { }
    public KubeNotFoundException(string message, Exception innerException) : base(404, "NotFound", null, message, innerException) { }
    public KubeNotFoundException(Status? status, string message) : base(404, status?.Reason ?? "NotFound", status, message) { }
}

/// <summary>409: a stale resourceVersion on update (reason Conflict) or an existing name on create (AlreadyExists).</summary>
public sealed class KubeConflictException : KubeApiException
{
    public KubeConflictException() : base(409, "Conflict", null, "conflict") { }
    public KubeConflictException(string message) : base(409, "Conflict", null, message) { }
    public KubeConflictException(string message, Exception innerException) : base(409, "Conflict", null, message, innerException) { }
    public KubeConflictException(Status? status, string message) : base(409, status?.Reason ?? "Conflict", status, message) { }

    /// <summary>True when a create found the name taken (reason AlreadyExists).</summary>
    public bool IsAlreadyExists => Reason == "AlreadyExists";
}

/// <summary>410 Gone / reason Expired: the resourceVersion is older than the server keeps; list again.</summary>
public sealed class KubeResourceExpiredException : KubeApiException
{
    public KubeResourceExpiredException() : base(410, "Expired", null, "resource version expired") { }
    public KubeResourceExpiredException(string message) : base(410, "Expired", null, message) { }
    public KubeResourceExpiredException(string message, Exception innerException) : base(410, "Expired", null, message, innerException) { }
    public KubeResourceExpiredException(Status? status, string message) : base(410, status?.Reason ?? "Expired", status, message) { }
}

/// <summary>422 Invalid: the object failed validation; <see cref="Causes"/> name the fields.</summary>
public sealed class KubeInvalidException : KubeApiException
{
    public KubeInvalidException() : base(422, "Invalid", null, "invalid") { }
    public KubeInvalidException(string message) : base(422, "Invalid", null, message) { }
    public KubeInvalidException(string message, Exception innerException) : base(422, "Invalid", null, message, innerException) { }
    public KubeInvalidException(Status? status, string message) : base(422, status?.Reason ?? "Invalid", status, message) { }

    public IReadOnlyList<StatusCause> Causes => Status?.Details?.Causes ?? [];
}

namespace LoadBalancer.Kube;

/// <summary>
/// A label selector that cannot be evaluated. <see cref="Field"/> is the path inside a metav1 LabelSelector
/// (<c>matchExpressions[1].operator</c>) or the character position in a selector string (<c>selector[7]</c>), so a
/// controller can report it on the object that carries the selector.
/// </summary>
public sealed class InvalidLabelSelectorException : FormatException
{
    public InvalidLabelSelectorException() : this("", "invalid label selector") { }
    public InvalidLabelSelectorException(string message) : this("", message) { }
    public InvalidLabelSelectorException(string message, Exception innerException) : base(message, innerException) { Field = ""; Detail = message; }

    public InvalidLabelSelectorException(string field, string detail)
        : base(field.Length == 0 ? detail : field + ": " + detail)
    {
        Field = field;
        Detail = detail;
    }

    public string Field { get; }
    public string Detail { get; }
}

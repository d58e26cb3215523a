namespace LoadBalancer.Migrate;

/// <summary>How a field fared in the migration.</summary>
internal enum NoteKind
{
    /// <summary>The field or object was not carried over.</summary>
    Dropped,

    /// <summary>Carried over, but with a different value or place; the message says why.</summary>
    Changed,
}

/// <summary>One finding, naming the source object and the field path (e.g. <c>BGPPeer metallb-system/r1 spec.vrf</c>).</summary>
internal sealed record MigrationNote(NoteKind Kind, string Source, string Field, string Message)
{
    public override string ToString()
        => $"{(Kind == NoteKind.Dropped ? "not carried over" : "changed")}: {Source}{(Field.Length > 0 ? " " + Field : "")}: {Message}";
}

/// <summary>What the migration produced: our objects, in input order, and every finding.</summary>
internal sealed record MigrationResult(IReadOnlyList<System.Text.Json.Nodes.JsonObject> Objects, IReadOnlyList<MigrationNote> Notes);

using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LoadBalancer.TestKit.ApiServer;

internal sealed partial class ObjectStore
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    /// <summary>Creates an object. <paramref name="keepStatus"/> is the seeding path: status is stored as given.</summary>
    public JsonObject Create(ResourceType type, string ns, JsonObject body, bool dryRun = false, bool keepStatus = false, string? fieldValidation = null)
    {
        lock (_lock)
        {
            var stored = CreateLocked(type, ns, body, dryRun, keepStatus, fieldValidation);
            return stored.Item2 ?? ToTypeForm(type, stored.Item1!);
        }
    }

    /// <summary>Creates many objects under one lock acquisition (fast seeding); stops at the first failure.</summary>
    public int CreateMany(IEnumerable<(ResourceType Type, JsonObject Body)> items)
    {
        var n = 0;
        lock (_lock)
        {
            foreach (var (type, body) in items)
            {
                var ns = type.Namespaced ? ApiJson.Str(body["metadata"]?["namespace"]) ?? "default" : "";
                CreateLocked(type, ns, body, dryRun: false, keepStatus: true, fieldValidation: null);
                n++;
            }
        }
        return n;
    }

    private (StoredObject?, JsonObject?) CreateLocked(ResourceType type, string ns, JsonObject body, bool dryRun, bool keepStatus, string? fieldValidation)
    {
        var obj = ToStorageForm(type, (JsonObject)body.DeepClone());
        CheckKind(type, body);
        var meta = ApiJson.Metadata(obj);
        var name = ApiJson.Str(meta["name"]) ?? "";
        if (name.Length == 0)
        {
            var generate = ApiJson.Str(meta["generateName"]);
            if (string.IsNullOrEmpty(generate))
                throw ApiException.Invalid(type, "", [FieldError.Required("metadata.name", "name or generateName is required")]);
            var storage0 = StorageFor(type.StorageKey);
            do name = generate + RandomSuffix();
            while (storage0.ContainsKey(ObjectKey(type.Namespaced ? ns : "", name)));
            meta["name"] = name;
        }
        ValidateName(type, name);
        if (type.Namespaced)
        {
            var bodyNs = ApiJson.Str(meta["namespace"]);
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
            if (!NamespaceExists(ns))
            {
                var nsType = Registry.Find("", "v1", "namespaces")!;
                throw ApiException.NotFound(nsType, ns);
            }
            if (IsTerminating(ns))
                throw new ApiException(403, "Forbidden",
                    $"{type.Plural} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    ApiException.DetailsFor(type, name));
        }
        else
        {
            meta.Remove("namespace");
        }
        var storage = StorageFor(type.StorageKey);
        var key = ObjectKey(type.Namespaced ? ns : "", name);
        if (storage.ContainsKey(key)) throw ApiException.AlreadyExists(type, name);

        meta["uid"] = NewUid();
        meta["creationTimestamp"] = ApiJson.Timestamp(Time.GetUtcNow());
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("resourceVersion");
        meta.Remove("selfLink");
        if (type.TracksGeneration) meta["generation"] = 1;
        else meta.Remove("generation");
        if (type.ResetStatusOnCreate && !keepStatus) obj.Remove("status");

        Admit(type, obj, null, fieldValidation);
        if (dryRun)
        {
            ApiJson.Metadata(obj)["resourceVersion"] = "";
            return (null, type.FromStorage is not null ? type.FromStorage(obj) : obj);
        }
        if (type.Kind == "Service" && type.Group.Length == 0) Services.Commit(obj, null);
        var stored = Commit(type.StorageKey, obj, "ADDED", null);
        AfterWrite(type, stored, null);
        return (stored, null);
    }

    private static void CheckKind(ResourceType type, JsonObject body)
    {
        var kind = ApiJson.Str(body["kind"]);
        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
            throw ApiException.BadRequest($"the API version in the data ({ApiJson.Str(body["apiVersion"])}) does not match the expected API version ({type.ApiVersion})");
    }

    private static void ValidateName(ResourceType type, string name)
    {
        if (type.Kind is "Event") return;
        var (ok, what) = type switch
        {
            { Kind: "Service", Group: "" } => (Dns1035Label().IsMatch(name) && name.Length <= 63,
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
            { Kind: "Namespace", Group: "" } => (Dns1123Label().IsMatch(name) && name.Length <= 63,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
            { Group: "rbac.authorization.k8s.io" } => (!name.Contains('/', StringComparison.Ordinal) && !name.Contains('%', StringComparison.Ordinal) && name is not "." and not "..", "may not contain '/' or '%'"),
            _ => (Dns1123Subdomain().IsMatch(name) && name.Length <= 253,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        };
        if (!ok) throw ApiException.Invalid(type, name, [FieldError.Invalid("metadata.name", "\"" + name + "\"", what)]);
    }

    /// <summary>Replaces an object (PUT). <paramref name="status"/> is the status subresource: only status is taken.</summary>
    public JsonObject Update(ResourceType type, string ns, string name, JsonObject body, bool status, bool dryRun = false, string? fieldValidation = null)
    {
        lock (_lock)
        {
            return UpdateLocked(type, ns, name, body, status, dryRun, fieldValidation);
        }
    }

    /// <summary>Read, transform, write under one lock: how patches avoid conflicts (the real server retries).</summary>
    public JsonObject Mutate(ResourceType type, string ns, string name, Func<JsonObject, JsonObject> mutate, bool status, bool dryRun = false,
        Func<JsonObject?>? createIfMissing = null, string? fieldValidation = null)
    {
        lock (_lock)
        {
            var current = GetStoredLocked(type, ns, name);
            if (current is null)
            {
                var created = createIfMissing?.Invoke() ?? throw ApiException.NotFound(type, name);
                var r = CreateLocked(type, ns, created, dryRun, keepStatus: false, fieldValidation);
                return r.Item2 ?? ToTypeForm(type, r.Item1!);
            }
            var currentForm = ToTypeForm(type, current);
            var currentRv = ApiJson.Str(currentForm["metadata"]?["resourceVersion"]);
            var patched = mutate(currentForm);
            var patchedRv = ApiJson.Str(patched["metadata"]?["resourceVersion"]);
            // A patch that carries a resourceVersion is a precondition; otherwise it applies to the current object.
            if (string.IsNullOrEmpty(patchedRv)) ApiJson.Metadata(patched)["resourceVersion"] = currentRv;
            return UpdateLocked(type, ns, name, patched, status, dryRun, fieldValidation);
        }
    }

    private StoredObject? GetStoredLocked(ResourceType type, string ns, string name) =>
        _storages.TryGetValue(type.StorageKey, out var s) && s.TryGetValue(ObjectKey(type.Namespaced ? ns : "", name), out var o) ? o : null;

    private JsonObject UpdateLocked(ResourceType type, string ns, string name, JsonObject body, bool status, bool dryRun, string? fieldValidation)
    {
        CheckKind(type, body);
        var old = GetStoredLocked(type, ns, name) ?? throw ApiException.NotFound(type, name);
        var bodyMeta = body["metadata"] as JsonObject;
        var bodyName = ApiJson.Str(bodyMeta?["name"]);
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
            throw ApiException.BadRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
        if (type.Namespaced)
        {
            var bodyNs = ApiJson.Str(bodyMeta?["namespace"]);
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        var bodyRv = ApiJson.Str(bodyMeta?["resourceVersion"]);
        if (!string.IsNullOrEmpty(bodyRv) && bodyRv != old.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            throw ApiException.Conflict(type, name);
        var bodyUid = ApiJson.Str(bodyMeta?["uid"]);
        if (!string.IsNullOrEmpty(bodyUid) && bodyUid != old.Uid)
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": Precondition failed: UID in precondition: {bodyUid}, UID in object meta: {old.Uid}",
                ApiException.DetailsFor(type, name));

        var oldObj = old.Parse();
        JsonObject next;
        if (status)
        {
            next = (JsonObject)oldObj.DeepClone();
            var s = ToStorageForm(type, (JsonObject)body.DeepClone())["status"];
            if (s is null) next.Remove("status");
            else next["status"] = s.DeepClone();
        }
        else
        {
            next = ToStorageForm(type, (JsonObject)body.DeepClone());
            var meta = ApiJson.Metadata(next);
            var oldMeta = ApiJson.Metadata(oldObj);
            foreach (var keep in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "name", "namespace", "generateName" })
            {
                if (oldMeta[keep] is { } v) meta[keep] = v.DeepClone();
                else meta.Remove(keep);
            }
            if (type.HasStatus)
            {
                if (oldObj["status"] is { } st) next["status"] = st.DeepClone();
                else next.Remove("status");
            }
            next["apiVersion"] = oldObj["apiVersion"]?.DeepClone();
            next["kind"] = type.Kind;
            if (type.TracksGeneration && SpecChanged(oldObj, next))
                meta["generation"] = (ApiJson.Int(oldMeta["generation"]) ?? 0) + 1;
            if (old.Deleting)
            {
                // Finalizers can only be removed from an object being deleted.
                var oldF = (oldMeta["finalizers"] as JsonArray)?.Select(f => f!.ToJsonString()).ToHashSet() ?? [];
                var newF = (meta["finalizers"] as JsonArray)?.Select(f => f!.ToJsonString()) ?? [];
                if (newF.Any(f => !oldF.Contains(f)))
                    throw ApiException.Invalid(type, name, [FieldError.Forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted")]);
            }
        }
        ApiJson.Metadata(next)["resourceVersion"] = old.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        if (!status) Admit(type, next, oldObj, fieldValidation);
        else AdmitStatus(type, next, oldObj);

        // An object whose last finalizer went while it was being deleted is gone.
        var finalizersLeft = next["metadata"]?["finalizers"] is JsonArray fl && fl.Count > 0;
        if (old.Deleting && !finalizersLeft)
        {
            if (dryRun) return type.FromStorage is not null ? type.FromStorage(next) : next;
            if (type.Kind == "Service" && type.Group.Length == 0) Services.Release(oldObj);
            var removed = CommitRemove(type.StorageKey, Replace(type, old, next));
            AfterRemove(type, removed);
            return ToTypeForm(type, removed);
        }

        if (JsonNode.DeepEquals(next, oldObj))
            return ToTypeForm(type, old);
        if (dryRun) return type.FromStorage is not null ? type.FromStorage(next) : next;
        if (type.Kind == "Service" && type.Group.Length == 0 && !status) Services.Commit(next, oldObj);
        var stored = Commit(type.StorageKey, next, "MODIFIED", old);
        AfterWrite(type, stored, old);
        return ToTypeForm(type, stored);
    }

    /// <summary>Stores <paramref name="next"/> in place of <paramref name="old"/> without an event (the removal follows at once).</summary>
    private StoredObject Replace(ResourceType type, StoredObject old, JsonObject next)
    {
        var s = StoredObject.From(next);
        StorageFor(type.StorageKey)[s.Key] = s;
        Unindex(type.StorageKey, old);
        Index(type.StorageKey, s);
        return s;
    }

    private static bool SpecChanged(JsonObject oldObj, JsonObject next)
    {
        foreach (var (k, v) in next)
        {
            if (k is "metadata" or "status" or "apiVersion" or "kind") continue;
            if (!JsonNode.DeepEquals(v, oldObj[k])) return true;
        }
        foreach (var (k, _) in oldObj)
        {
            if (k is "metadata" or "status" or "apiVersion" or "kind") continue;
            if (!next.ContainsKey(k)) return true;
        }
        return false;
    }

    /// <summary>
    /// Deletes an object: with finalizers it is only marked (deletionTimestamp); otherwise removed, dependents are
    /// garbage-collected (unless orphaned), a namespace takes its contents with it.
    /// Returns the object and whether it is gone.
    /// </summary>
    public (JsonObject Object, bool Gone) Delete(ResourceType type, string ns, string name, JsonObject? options = null, bool dryRun = false)
    {
        lock (_lock)
        {
            var old = GetStoredLocked(type, ns, name) ?? throw ApiException.NotFound(type, name);
            var pre = options?["preconditions"];
            var preRv = ApiJson.Str(pre?["resourceVersion"]);
            if (!string.IsNullOrEmpty(preRv) && preRv != old.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                throw new ApiException(409, "Conflict",
                    $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": Precondition failed: ResourceVersion in precondition: {preRv}, ResourceVersion in object meta: {old.ResourceVersion}",
                    ApiException.DetailsFor(type, name));
            var preUid = ApiJson.Str(pre?["uid"]);
            if (!string.IsNullOrEmpty(preUid) && preUid != old.Uid)
                throw new ApiException(409, "Conflict",
                    $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": Precondition failed: UID in precondition: {preUid}, UID in object meta: {old.Uid}",
                    ApiException.DetailsFor(type, name));
            var orphan = ApiJson.Str(options?["propagationPolicy"]) == "Orphan" || options?["orphanDependents"]?.GetValue<bool>() == true;
            if (dryRun) return (ToTypeForm(type, old), !old.HasFinalizers);
            return DeleteLocked(type, old, orphan);
        }
    }

    private (JsonObject Object, bool Gone) DeleteLocked(ResourceType type, StoredObject old, bool orphan)
    {
        if (type.StorageKey == NamespacesStorage) return DeleteNamespace(type, old);
        if (old.HasFinalizers)
        {
            if (old.Deleting) return (ToTypeForm(type, old), false);
            var obj = old.Parse();
            var meta = ApiJson.Metadata(obj);
            meta["deletionTimestamp"] = ApiJson.Timestamp(Time.GetUtcNow());
            meta["deletionGracePeriodSeconds"] = 0;
            var marked = Commit(type.StorageKey, obj, "MODIFIED", old);
            if (orphan) OrphanDependents(old.Uid);
            return (ToTypeForm(type, marked), false);
        }
        if (type.Kind == "Service" && type.Group.Length == 0) Services.Release(old.Parse());
        if (orphan) OrphanDependents(old.Uid);
        var removed = CommitRemove(type.StorageKey, old);
        AfterRemove(type, removed);
        return (ToTypeForm(type, removed), true);
    }

    private (JsonObject, bool) DeleteNamespace(ResourceType type, StoredObject old)
    {
        var obj = old.Parse();
        var meta = ApiJson.Metadata(obj);
        StoredObject current = old;
        if (!old.Deleting)
        {
            meta["deletionTimestamp"] = ApiJson.Timestamp(Time.GetUtcNow());
            obj["status"] = new JsonObject { ["phase"] = "Terminating" };
            current = Commit(NamespacesStorage, obj, "MODIFIED", old);
        }
        // The namespace controller: delete everything in it; the namespace goes when it is empty.
        foreach (var (storageKey, storage) in _storages.ToList())
        {
            if (storageKey == NamespacesStorage) continue;
            var t = Registry.SharingStorage(storageKey).FirstOrDefault();
            foreach (var o in storage.Values.Where(o => o.Namespace == old.Name).ToList())
            {
                if (t is null) { CommitRemove(storageKey, o); continue; }
                DeleteLocked(t, o, orphan: false);
            }
        }
        if (NamespaceEmpty(old.Name))
        {
            var removed = CommitRemove(NamespacesStorage, current);
            return (ToTypeForm(type, removed), true);
        }
        return (ToTypeForm(type, current), false);
    }

    private bool IsTerminating(string ns) =>
        _storages.TryGetValue(NamespacesStorage, out var s) && s.TryGetValue(ns, out var o) && o.Deleting;

    private bool NamespaceEmpty(string ns)
    {
        foreach (var (key, storage) in _storages)
        {
            if (key == NamespacesStorage) continue;
            foreach (var o in storage.Values)
                if (o.Namespace == ns) return false;
        }
        return true;
    }

    private void OrphanDependents(string ownerUid)
    {
        if (!_dependents.TryGetValue(ownerUid, out var deps)) return;
        foreach (var (storageKey, key) in deps.ToList())
        {
            if (!_storages.TryGetValue(storageKey, out var s) || !s.TryGetValue(key, out var dep)) continue;
            var obj = dep.Parse();
            if (ApiJson.Metadata(obj)["ownerReferences"] is JsonArray refs)
            {
                foreach (var r in refs.Where(r => ApiJson.Str(r?["uid"]) == ownerUid).ToList()) refs.Remove(r);
                if (refs.Count == 0) ApiJson.Metadata(obj).Remove("ownerReferences");
            }
            Commit(storageKey, obj, "MODIFIED", dep);
        }
    }

    /// <summary>Background garbage collection of the dependents of a removed owner, done at once.</summary>
    private void CollectGarbage(string ownerUid)
    {
        if (!_dependents.TryGetValue(ownerUid, out var deps)) return;
        foreach (var (storageKey, key) in deps.ToList())
        {
            if (!_storages.TryGetValue(storageKey, out var s) || !s.TryGetValue(key, out var dep)) continue;
            var type = Registry.SharingStorage(storageKey).FirstOrDefault();
            if (dep.OwnerUids.Any(u => u != ownerUid && _byUid.ContainsKey(u)))
            {
                // Another owner is still alive: only the dangling reference goes.
                var obj = dep.Parse();
                if (ApiJson.Metadata(obj)["ownerReferences"] is JsonArray refs)
                    foreach (var r in refs.Where(r => ApiJson.Str(r?["uid"]) == ownerUid).ToList()) refs.Remove(r);
                Commit(storageKey, obj, "MODIFIED", dep);
                continue;
            }
            if (type is null) { CommitRemove(storageKey, dep); continue; }
            DeleteLocked(type, dep, orphan: false);
        }
    }

    private void AfterRemove(ResourceType type, StoredObject removed)
    {
        CollectGarbage(removed.Uid);
        if (type.StorageKey == CrdStorage)
        {
            var crdName = removed.Name;
            var served = Registry.All.Where(t => t.CrdName == crdName).ToList();
            Registry.UnregisterCrd(crdName);
            foreach (var storageKey in served.Select(t => t.StorageKey).Distinct())
            {
                if (!_storages.TryGetValue(storageKey, out var s)) continue;
                foreach (var o in s.Values.ToList()) CommitRemove(storageKey, o);
            }
        }
        if (removed.Namespace.Length > 0 && IsTerminating(removed.Namespace) && NamespaceEmpty(removed.Namespace))
            CommitRemove(NamespacesStorage, _storages[NamespacesStorage][removed.Namespace]);
    }

    private void AfterWrite(ResourceType type, StoredObject stored, StoredObject? old)
    {
        if (type.StorageKey == CrdStorage)
        {
            var obj = stored.Parse();
            Registry.RegisterCrd(stored.Name, ResourceRegistry.TypesFromCrd(obj));
            // The real server reports the CRD Established and its names accepted.
            if (obj["status"]?["conditions"] is null)
            {
                var now = ApiJson.Timestamp(Time.GetUtcNow());
                obj["status"] = new JsonObject
                {
                    ["acceptedNames"] = obj["spec"]?["names"]?.DeepClone(),
                    ["conditions"] = new JsonArray(
                        new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found", ["lastTransitionTime"] = now },
                        new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted", ["lastTransitionTime"] = now }),
                    ["storedVersions"] = new JsonArray((obj["spec"]?["versions"] as JsonArray ?? [])
                        .Where(v => v?["storage"]?.GetValue<bool>() == true).Select(v => (JsonNode?)JsonValue.Create(ApiJson.Str(v!["name"]))).ToArray()),
                };
                Commit(CrdStorage, obj, "MODIFIED", stored);
            }
        }
        _ = old;
    }

    /// <summary>Deletes every object matching the selectors (deletecollection).</summary>
    public List<JsonObject> DeleteCollection(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields)
    {
        var (items, _, _, _) = List(type, ns, labels, fields, 0, null);
        var result = new List<JsonObject>();
        lock (_lock)
        {
            foreach (var o in items)
            {
                var current = GetStoredLocked(type, o.Namespace, o.Name);
                if (current is null) continue;
                result.Add(DeleteLocked(type, current, orphan: false).Object);
            }
        }
        return result;
    }
}

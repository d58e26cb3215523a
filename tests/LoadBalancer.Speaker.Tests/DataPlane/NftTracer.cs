using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>What happened to a traced packet.</summary>
internal enum NftVerdict { Accepted, Dropped, Rejected }

/// <summary>
/// One packet of a NEW connection arriving at (or, with <see cref="Output"/>, sent by) this node.
/// <see cref="SourceIsLocal"/> is what <c>fib saddr type local</c> answers; a packet from a local process has both set
/// (<see cref="FromHost"/>). Whether the source is a pod is not a flag: the ruleset's <c>pods4</c>/<c>pods6</c> sets decide.
/// </summary>
internal sealed record NftPacket(IPAddress Saddr, IPAddress Daddr, string Proto, int Dport, int Sport = 40000,
    bool SourceIsLocal = false, bool Output = false)
{
    public static NftPacket FromHost(IPAddress saddr, IPAddress daddr, string proto, int dport, int sport = 40000)
        => new(saddr, daddr, proto, dport, sport, SourceIsLocal: true, Output: true);

    public AddressFamily Family => Saddr.AddressFamily;

    public override string ToString() => $"{Proto} {Saddr}:{Sport} -> {Daddr}:{Dport}{(SourceIsLocal ? " (fib local)" : "")}{(Output ? " (output)" : "")}";
}

/// <summary>A random or hash choice the ruleset asks for: the test answers it with a value in [0, <see cref="Modulus"/>).</summary>
/// <param name="Expression">The nft expression, e.g. <c>numgen random mod 3</c> or <c>jhash ip saddr . tcp sport mod 251 seed 0x…</c>.</param>
/// <param name="Inputs">For jhash, the evaluated values hashed (e.g. the client address and port); empty for numgen.</param>
internal sealed record NftChoice(string Expression, int Modulus, IReadOnlyList<string> Inputs)
{
    public bool IsHash => Expression.StartsWith("jhash ", StringComparison.Ordinal);
}

/// <summary>The outcome of one traced packet.</summary>
/// <param name="Dnat">The DNAT target, or null when no DNAT happened.</param>
/// <param name="Masqueraded">A masquerade or snat statement ran in postrouting (<see cref="SnatTo"/> is set for snat).</param>
/// <param name="TcpReset">For <see cref="NftVerdict.Rejected"/>: <c>reject with tcp reset</c> (else ICMP port unreachable).</param>
/// <param name="Matched">Every rule that matched, as <c>chain: rule</c>, in order.</param>
internal sealed record NftTrace(NftVerdict Verdict, IPEndPoint? Dnat, bool Masqueraded, IPAddress? SnatTo, bool TcpReset,
    IReadOnlyList<string> Matched, IReadOnlyList<(NftChoice Choice, int Value)> Choices)
{
    public override string ToString()
        => $"{Verdict}{(Dnat is null ? "" : " dnat " + Dnat)}{(Masqueraded ? " masq" : "")}{(SnatTo is null ? "" : " snat " + SnatTo)}{(TcpReset ? " tcp-reset" : "")}"
           + "\n  " + string.Join("\n  ", Matched);
}

/// <summary>
/// A small interpreter of the nft text our renderer writes (<c>NftText.Full</c>), after kube-proxy's
/// <c>pkg/proxy/nftables/helpers_test.go</c> (nftablesTracer): it parses the table (sets, maps, chains, the
/// <c>add element</c> lines) and walks a packet of a NEW connection through the base chains as the kernel would:
/// filter prerouting (or output) → nat prerouting (or output) → nat postrouting, with <c>ct status dnat</c> true iff
/// a DNAT happened. It knows exactly the grammar the renderer emits; anything else throws a
/// <see cref="NotSupportedException"/> naming the token, so a renderer change breaks the tests instead of being
/// silently misread. Everything is parsed and checked when the tracer is built (references to sets, maps and chains
/// included), not only the rules a packet happens to reach.
/// <para>Random and hash choices (<c>numgen</c>, <c>jhash</c>) are answered by the test (<see cref="Trace"/>) or
/// enumerated (<see cref="TraceAll"/>); jhash is not computed. <see cref="Apply"/> applies the phases of an incremental
/// update, each as one atomic commit: a packet whose lookups straddle a commit (docs/dataplane.md, "Make before break")
/// is not modelled. Not modelled either: established connections (conntrack after the first packet), routing, timeouts
/// of affinity sets, counters' values.</para>
/// </summary>
internal sealed partial class NftTracer
{
    private readonly Dictionary<string, NftSetDef> _sets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Chain> _chains = new(StringComparer.Ordinal);
    private readonly HashSet<string> _counters = new(StringComparer.Ordinal);
    private readonly List<(string Chain, string Where)> _chainRefs = [];

    private NftTracer() { }

    public IReadOnlyCollection<string> Chains => _chains.Keys;

    public static NftTracer Parse(string text)
    {
        var t = new NftTracer();
        t.Load(text);
        return t;
    }

    /// <summary>Traces one packet. Choices go to <paramref name="choose"/>; without one, any choice throws.</summary>
    public NftTrace Trace(NftPacket packet, Func<NftChoice, int>? choose = null)
        => Run(packet, choose ?? (c => throw new InvalidOperationException($"the packet {packet} reached a choice ({c.Expression}) and the test gave no chooser")));

    /// <summary>
    /// Traces the packet once for every combination of choice values (numgen and jhash), each run from the same
    /// state (affinity records of one run are not seen by the others, and are forgotten afterwards).
    /// </summary>
    public IReadOnlyList<NftTrace> TraceAll(NftPacket packet)
    {
        var results = new List<NftTrace>();
        var prefix = new List<int>();
        while (true)
        {
            var saved = _sets.Values.Where(s => s.Dynamic).ToDictionary(s => s.Name, s => new HashSet<string>(s.Added, StringComparer.Ordinal));
            var moduli = new List<int>();
            var trace = Run(packet, c =>
            {
                var i = moduli.Count;
                moduli.Add(c.Modulus);
                return i < prefix.Count ? prefix[i] : 0;
            });
            foreach (var (name, added) in saved) _sets[name].Added = added;
            results.Add(trace);
            if (results.Count > 100_000) throw new InvalidOperationException("too many choice combinations");
            var values = moduli.Select((_, i) => i < prefix.Count ? prefix[i] : 0).ToList();
            var next = values.Count - 1;
            while (next >= 0 && values[next] == moduli[next] - 1) next--;
            if (next < 0) return results;
            prefix = [.. values.Take(next), values[next] + 1];
        }
    }

    /// <summary>
    /// Applies one committed transaction of an incremental update (a phase of <c>NftDiff.Incremental</c>): the
    /// <c>add</c>/<c>delete</c>/<c>flush</c> commands it sends. Afterwards the references are checked as the kernel
    /// would at commit.
    /// </summary>
    public void Apply(string transaction)
    {
        foreach (var line in transaction.Split('\n'))
        {
            if (line.Length == 0) continue;
            var m = CommandLine().Match(line);
            if (!m.Success) throw Unsupported(line.Split(' ')[0], line);
            var (verb, kind, name, rest) = (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value);
            switch (verb, kind)
            {
                case ("add", "counter") when rest.Length == 0: _counters.Add(name); break;
                case ("delete", "counter") when rest.Length == 0:
                    if (!_counters.Remove(name)) throw new NotSupportedException($"'{line}': no such counter");
                    break;
                case ("add", "set") when rest.StartsWith("{ ", StringComparison.Ordinal) && rest.EndsWith(" }", StringComparison.Ordinal):
                    if (_sets.ContainsKey(name)) throw new NotSupportedException($"'{line}': the set exists");
                    _sets[name] = NftSetDef.Define(false, name, [.. rest[2..^2].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)], this);
                    break;
                case ("delete", "set") when rest.Length == 0:
                    if (!_sets.Remove(name)) throw new NotSupportedException($"'{line}': no such set");
                    break;
                case ("add", "chain") when rest.Length == 0:
                    _chains.TryAdd(name, new Chain(name));
                    break;
                case ("delete", "chain") when rest.Length == 0:
                    if (!_chains.Remove(name)) throw new NotSupportedException($"'{line}': no such chain");
                    break;
                case ("flush", "chain") when rest.Length == 0:
                    GetChain(name, line).Rules.Clear();
                    break;
                case ("add", "rule") when rest.Length > 0:
                    GetChain(name, line).Rules.Add(CompileRule(name, rest));
                    break;
                case ("add" or "delete", "element") when rest.StartsWith("{ ", StringComparison.Ordinal) && rest.EndsWith(" }", StringComparison.Ordinal):
                {
                    var set = GetSet(name, line);
                    foreach (var e in SplitTop(rest[2..^2]))
                        if (verb == "add") set.Add(e, this, line);
                        else set.Remove(e, line);
                    break;
                }
                default: throw Unsupported($"{verb} {kind}", line);
            }
        }
        Validate();
    }

    [GeneratedRegex(@"^(add|delete|flush) (counter|set|chain|rule|element) inet lb (\S+) ?(.*)$")]
    private static partial Regex CommandLine();

    private Chain GetChain(string name, string where)
        => _chains.TryGetValue(name, out var c) ? c : throw new NotSupportedException($"'{where}': no chain {name}");

    // ---------------------------------------------------------------- walking

    private static readonly string[] HookOrder = ["prerouting", "output", "postrouting"];

    private NftTrace Run(NftPacket packet, Func<NftChoice, int> choose)
    {
        if (packet.Saddr.AddressFamily != packet.Daddr.AddressFamily) throw new ArgumentException("saddr and daddr families differ", nameof(packet));
        if (packet.Proto is not ("tcp" or "udp" or "sctp")) throw new ArgumentException("proto must be tcp, udp or sctp", nameof(packet));
        var st = new State(packet, choose);
        foreach (var hook in new[] { packet.Output ? "output" : "prerouting", "postrouting" })
        {
            st.Hook = hook;
            foreach (var chain in _chains.Values.Where(c => c.Hook == hook).OrderBy(c => c.Priority))
            {
                if (chain.Type == "nat" && st.NatDoneInHook) continue; // nf_nat binds the connection in the first NAT chain that maps it
                var v = RunBase(chain, st);
                if (v.Kind is Kind.Drop) return st.Result(NftVerdict.Dropped);
                if (v.Kind is Kind.Reject) return st.Result(NftVerdict.Rejected);
            }
            st.NatDoneInHook = false;
        }
        return st.Result(NftVerdict.Accepted);
    }

    private Outcome RunBase(Chain baseChain, State st)
    {
        var stack = new Stack<(Chain, int)>();
        var (chain, index) = (baseChain, 0);
        for (var steps = 0; ; steps++)
        {
            if (steps > 100_000) throw new InvalidOperationException("the trace does not end (a loop in the chains?)");
            if (index >= chain.Rules.Count)
            {
                if (stack.Count == 0) return Outcome.Accept; // policy accept (the only policy we parse)
                (chain, index) = stack.Pop();
                continue;
            }
            var rule = chain.Rules[index++];
            var o = rule.Execute(st);
            if (o.Kind != Kind.NoMatch) st.Matched.Add(chain.Name + ": " + rule.Text);
            switch (o.Kind)
            {
                case Kind.NoMatch or Kind.Continue: break;
                case Kind.Jump:
                    stack.Push((chain, index));
                    (chain, index) = (_chains[o.Target!], 0);
                    break;
                case Kind.Goto:
                    (chain, index) = (_chains[o.Target!], 0);
                    break;
                case Kind.Return:
                    if (stack.Count == 0) return Outcome.Accept;
                    (chain, index) = stack.Pop();
                    break;
                default: return o;
            }
        }
    }

    private enum Kind { NoMatch, Continue, Accept, Drop, Reject, Jump, Goto, Return }

    private readonly record struct Outcome(Kind Kind, string? Target = null)
    {
        public static readonly Outcome NoMatch = new(Kind.NoMatch);
        public static readonly Outcome Continue = new(Kind.Continue);
        public static readonly Outcome Accept = new(Kind.Accept);
    }

    private sealed class State(NftPacket packet, Func<NftChoice, int> choose)
    {
        public NftPacket Packet { get; } = packet;
        public IPAddress Daddr { get; set; } = packet.Daddr;
        public int Dport { get; set; } = packet.Dport;
        public uint Mark { get; set; }
        public string Hook { get; set; } = "";
        public bool NatDoneInHook { get; set; }
        public IPEndPoint? Dnat { get; set; }
        public bool Masqueraded { get; set; }
        public IPAddress? SnatTo { get; set; }
        public bool TcpReset { get; set; }
        public List<string> Matched { get; } = [];
        public List<(NftChoice, int)> Choices { get; } = [];

        public int Choose(NftChoice c)
        {
            var v = choose(c);
            if (v < 0 || v >= c.Modulus) throw new ArgumentOutOfRangeException(nameof(c), $"choice {v} for {c.Expression} is not in [0, {c.Modulus})");
            Choices.Add((c, v));
            return v;
        }

        public NftTrace Result(NftVerdict v) => new(v, Dnat, Masqueraded, SnatTo, TcpReset, [.. Matched], [.. Choices]);
    }

    // ---------------------------------------------------------------- loading

    private sealed class Chain(string name)
    {
        public string Name { get; } = name;
        public string? Type { get; set; }
        public string? Hook { get; set; }
        public int Priority { get; set; }
        public List<Rule> Rules { get; } = [];
    }

    private sealed class Rule(string text, List<Func<State, Outcome>> steps, List<(string Name, string? Data, string Rule)> sets,
        List<(string Chain, string Where)> chains)
    {
        public string Text { get; } = text;
        public List<(string Name, string? Data, string Rule)> Sets { get; } = sets;
        public List<(string Chain, string Where)> Chains { get; } = chains;

        public Outcome Execute(State st)
        {
            foreach (var step in steps)
            {
                var o = step(st);
                if (o.Kind != Kind.Continue) return o;
            }
            return Outcome.Continue;
        }
    }

    private void Load(string text)
    {
        var lines = text.Split('\n');
        var i = 0;
        var sawTable = false;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (line.Length == 0) { i++; continue; }
            if (line is "table inet lb" or "delete table inet lb") { i++; continue; }
            if (line == "table inet lb {")
            {
                if (sawTable) throw Unsupported("a second table block", line);
                sawTable = true;
                i = LoadTable(lines, i + 1);
                continue;
            }
            var m = AddElementLine().Match(line);
            if (!m.Success) throw Unsupported(line.Split(' ')[0], line);
            var set = GetSet(m.Groups[1].Value, line);
            foreach (var e in SplitTop(m.Groups[2].Value)) set.Add(e, this, line);
            i++;
        }
        if (!sawTable) throw new NotSupportedException("no 'table inet lb {' block in the text");
        Validate();
    }

    /// <summary>What the kernel would refuse: a rule or verdict referring to a chain, set, map or counter that does not exist (or is of another kind).</summary>
    private void Validate()
    {
        foreach (var rule in _chains.Values.SelectMany(c => c.Rules))
        {
            foreach (var (name, where) in rule.Chains)
                if (!_chains.ContainsKey(name)) throw new NotSupportedException($"'{where}' refers to chain '{name}', which is not defined");
            Check(rule.Sets);
        }
        foreach (var set in _sets.Values.Where(s => s.IsMap))
            foreach (var value in set.Values)
            {
                if (set.Data == "verdict" && !_chains.ContainsKey(value!.Split(' ')[1]))
                    throw new NotSupportedException($"{set.Name}: the verdict '{value}' refers to a chain that is not defined");
                if (set.Data == "counter" && !_counters.Contains(value![1..^1]))
                    throw new NotSupportedException($"{set.Name}: the counter {value} is not defined");
            }
    }

    private void Check(List<(string Name, string? Data, string Rule)> refs)
    {
        foreach (var (name, data, rule) in refs)
        {
            if (!_sets.TryGetValue(name, out var s)) throw new NotSupportedException($"'{rule}' refers to set or map '{name}', which is not defined");
            var ok = data switch
            {
                null => !s.IsMap,
                "dynamic" => !s.IsMap && s.Dynamic,
                _ => s.IsMap && s.Data == data,
            };
            if (!ok) throw new NotSupportedException($"'{rule}' uses '{name}' as {data ?? "a set"}, which it is not");
        }
    }

    [GeneratedRegex(@"^add element inet lb (\S+) \{ (.*) \}$")]
    private static partial Regex AddElementLine();

    private int LoadTable(string[] lines, int i)
    {
        while (true)
        {
            if (i >= lines.Length) throw new NotSupportedException("the table block does not end");
            var line = lines[i];
            if (line == "}") return i + 1;
            if (!line.StartsWith('\t') || line.StartsWith("\t\t", StringComparison.Ordinal)) throw Unsupported(line.Trim(), line);
            var head = line[1..];
            var parts = head.Split(' ');
            if (parts.Length < 3 || parts[^1] is not "{" && !head.EndsWith(" }", StringComparison.Ordinal)) throw Unsupported(head, line);
            var kind = parts[0];
            var name = parts[1];
            // The body: either on this line ("set x { type …; }") or on the following lines up to "\t}".
            var body = new List<string>();
            if (head.EndsWith(" }", StringComparison.Ordinal) && parts[2] == "{")
            {
                body.AddRange(head[(head.IndexOf('{', StringComparison.Ordinal) + 1)..^1].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                i++;
            }
            else if (parts.Length == 3 && parts[2] == "{")
            {
                i++;
                while (i < lines.Length && lines[i] != "\t}") body.Add(lines[i++].Trim());
                if (i >= lines.Length) throw new NotSupportedException($"{kind} {name} does not end");
                i++;
            }
            else throw Unsupported(head, line);

            switch (kind)
            {
                case "set" or "map":
                    if (_sets.ContainsKey(name)) throw new NotSupportedException($"{kind} {name} is defined twice");
                    _sets[name] = NftSetDef.Define(kind == "map", name, body, this);
                    break;
                case "counter":
                    if (body.Count != 0) throw Unsupported(body[0], line);
                    _counters.Add(name);
                    break;
                case "chain":
                    if (_chains.ContainsKey(name)) throw new NotSupportedException($"chain {name} is defined twice");
                    _chains[name] = ParseChain(name, body);
                    break;
                default: throw Unsupported(kind, line);
            }
        }
    }

    private Chain ParseChain(string name, List<string> body)
    {
        var chain = new Chain(name);
        var first = 0;
        if (body.Count > 0 && body[0].StartsWith("type ", StringComparison.Ordinal))
        {
            var m = BaseChainLine().Match(body[0]);
            if (!m.Success) throw Unsupported(body[0], body[0]);
            chain.Type = m.Groups[1].Value;
            chain.Hook = m.Groups[2].Value;
            chain.Priority = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            if (chain.Type is not ("filter" or "nat")) throw Unsupported(chain.Type, body[0]);
            if (!HookOrder.Contains(chain.Hook)) throw Unsupported(chain.Hook, body[0]);
            first = 1;
        }
        for (var r = first; r < body.Count; r++) chain.Rules.Add(CompileRule(name, body[r]));
        return chain;
    }

    [GeneratedRegex(@"^type (\S+) hook (\S+) priority (-?\d+); policy accept;$")]
    private static partial Regex BaseChainLine();

    private static NotSupportedException Unsupported(string token, string where)
        => new($"unsupported token '{token}' in '{where}' (the tracer knows only what the renderer emitted when it was written)");

    /// <summary>Splits "a, b, c" at top level (element lists carry no nested commas in our output).</summary>
    private static IEnumerable<string> SplitTop(string s) => s.Split(", ", StringSplitOptions.TrimEntries);

    private NftSetDef GetSet(string name, string where)
        => _sets.TryGetValue(name, out var s) ? s : throw new NotSupportedException($"'{where}' adds to '{name}', which is not defined");

    // ---------------------------------------------------------------- sets and maps

    private enum Comp { Exact, Range }

    private sealed class NftSetDef
    {
        public string Name { get; private init; } = "";
        public bool IsMap { get; private init; }
        public string? Data { get; private set; } // "verdict", "counter" or "data" for maps
        public bool Interval { get; private set; }
        public bool Dynamic { get; private set; }
        public int Arity { get; private set; }
        public HashSet<string> Added { get; set; } = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string?> _exact = new(StringComparer.Ordinal);
        private readonly List<(object[] Key, string? Value)> _ranges = [];

        public static NftSetDef Define(bool isMap, string name, List<string> body, NftTracer owner)
        {
            var s = new NftSetDef { Name = name, IsMap = isMap };
            var elements = new List<string>();
            foreach (var stmt in body)
            {
                var word = stmt.Split(' ')[0];
                switch (word)
                {
                    case "type" or "typeof":
                    {
                        var rest = stmt[(word.Length + 1)..];
                        var colon = rest.IndexOf(" : ", StringComparison.Ordinal);
                        if (isMap != colon >= 0) throw Unsupported(isMap ? "a map type without ' : '" : "' : ' in a set type", stmt);
                        var key = colon >= 0 ? rest[..colon] : rest;
                        s.Arity = key.Split(" . ").Length;
                        if (isMap)
                        {
                            var data = rest[(colon + 3)..];
                            s.Data = data is "verdict" or "counter" ? data : "data";
                        }
                        break;
                    }
                    case "flags":
                        foreach (var f in stmt[6..].Split(','))
                            switch (f.Trim())
                            {
                                case "interval": s.Interval = true; break;
                                case "dynamic": s.Dynamic = true; break;
                                case "timeout": break;
                                default: throw Unsupported(f.Trim(), stmt);
                            }
                        break;
                    case "timeout":
                        if (!TimeoutValue().IsMatch(stmt)) throw Unsupported(stmt, stmt);
                        break;
                    case "auto-merge": break;
                    case "elements":
                    {
                        var m = ElementsStatement().Match(stmt);
                        if (!m.Success) throw Unsupported(stmt, stmt);
                        elements.AddRange(SplitTop(m.Groups[1].Value));
                        break;
                    }
                    default: throw Unsupported(word, stmt);
                }
            }
            if (s.Arity == 0) throw new NotSupportedException($"{name}: no type");
            foreach (var e in elements) s.Add(e, owner, name);
            return s;
        }

        public void Add(string element, NftTracer owner, string where)
        {
            string keyText = element;
            string? value = null;
            if (IsMap)
            {
                var colon = element.IndexOf(" : ", StringComparison.Ordinal);
                if (colon < 0) throw Unsupported(element, where);
                keyText = element[..colon];
                value = element[(colon + 3)..];
                if (Data == "verdict")
                {
                    var v = value.Split(' ');
                    if (v.Length != 2 || v[0] is not ("goto" or "jump")) throw Unsupported(value, where);
                }
                else if (Data == "counter")
                {
                    if (value.Length < 2 || value[0] != '"' || value[^1] != '"') throw Unsupported(value, where);
                    var counter = value[1..^1];
                    if (!owner._counters.Contains(counter)) throw new NotSupportedException($"'{where}': counter {counter} is not defined");
                }
            }
            else if (element.Contains(" : ", StringComparison.Ordinal)) throw Unsupported(element, where);
            var parts = keyText.Split(" . ");
            if (parts.Length != Arity) throw new NotSupportedException($"'{where}': element '{keyText}' has {parts.Length} parts, {Name} has {Arity}");
            var key = new object[parts.Length];
            var isRange = false;
            for (var p = 0; p < parts.Length; p++)
            {
                key[p] = Normalise(parts[p]);
                if (key[p] is IPNetwork) isRange = true;
            }
            if (isRange && !Interval) throw new NotSupportedException($"'{where}': a range '{keyText}' in {Name}, which has no 'flags interval'");
            if (isRange) _ranges.Add((key, value));
            else if (_exact.TryGetValue(string.Join(" . ", key), out var old))
            {
                // 'add' of an element that is there is fine with the same data; other data is an error (delete it first).
                if (old != value) throw new NotSupportedException($"'{where}': element '{keyText}' is already in {Name} with other data ({old})");
            }
            else _exact[string.Join(" . ", key)] = value;
        }

        public IEnumerable<string?> Values => _exact.Values.Concat(_ranges.Select(r => r.Value));

        /// <summary><c>delete element</c>: the kernel refuses to delete an element that is not there.</summary>
        public void Remove(string keyText, string where)
        {
            var parts = keyText.Split(" . ");
            if (parts.Length != Arity) throw new NotSupportedException($"'{where}': element '{keyText}' has {parts.Length} parts, {Name} has {Arity}");
            var key = parts.Select(Normalise).ToArray();
            if (key.Any(k => k is IPNetwork))
            {
                var i = _ranges.FindIndex(r => r.Key.Select(k => k.ToString()).SequenceEqual(key.Select(k => k.ToString())));
                if (i < 0) throw new NotSupportedException($"'{where}': deletes '{keyText}', which {Name} does not have");
                _ranges.RemoveAt(i);
            }
            else if (!_exact.Remove(string.Join(" . ", key))) throw new NotSupportedException($"'{where}': deletes '{keyText}', which {Name} does not have");
        }

        public bool TryLookup(string[] key, out string? value)
        {
            value = null;
            if (key.Length != Arity) throw new NotSupportedException($"a lookup of {key.Length} parts in {Name}, which has {Arity}");
            var joined = string.Join(" . ", key);
            if (_exact.TryGetValue(joined, out value)) return true;
            if (Added.Contains(joined)) return true;
            foreach (var (k, v) in _ranges)
            {
                var all = true;
                for (var i = 0; i < k.Length && all; i++)
                    all = k[i] is IPNetwork n
                        ? IPAddress.TryParse(key[i], out var a) && a.AddressFamily == n.BaseAddress.AddressFamily && n.Contains(a)
                        : (string)k[i] == key[i];
                if (!all) continue;
                value = v;
                return true;
            }
            return false;
        }

        private static object Normalise(string part)
        {
            if (part.Contains('/', StringComparison.Ordinal) && (part.Contains(':', StringComparison.Ordinal) || DottedQuad().IsMatch(part.Split('/')[0])))
                return IPNetwork.TryParse(part, out var n) ? n : throw Unsupported(part, "an element");
            return NormaliseValue(part);
        }
    }

    /// <summary>Addresses in canonical form; anything else as written.</summary>
    private static string NormaliseValue(string part)
        => (part.Contains(':', StringComparison.Ordinal) || DottedQuad().IsMatch(part)) && IPAddress.TryParse(part, out var a) ? a.ToString() : part;

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")]
    private static partial Regex DottedQuad();

    [GeneratedRegex(@"^timeout \d+s$")]
    private static partial Regex TimeoutValue();

    [GeneratedRegex(@"^elements = \{ (.*) \}$")]
    private static partial Regex ElementsStatement();

    // ---------------------------------------------------------------- rules

    /// <summary>An expression: its text, the kind of literal it compares with, and its value for a packet (null: not applicable, e.g. <c>ip saddr</c> of an IPv6 packet).</summary>
    private sealed record Expr(string Text, string LiteralKind, Func<State, string?> Eval);

    private sealed class Tokens(string rule)
    {
        private readonly string[] _t = rule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        public int Pos { get; set; }
        public string Rule { get; } = rule;
        public bool AtEnd => Pos >= _t.Length;
        public string? Peek(int ahead = 0) => Pos + ahead < _t.Length ? _t[Pos + ahead] : null;

        public string Next() => Pos < _t.Length ? _t[Pos++] : throw new NotSupportedException($"the rule '{Rule}' ends too early");

        public void Expect(string token)
        {
            var t = Next();
            if (t != token) throw Unsupported(t, Rule);
        }

        public string Text(int from, int to) => string.Join(' ', _t[from..to]);
    }

    private Rule CompileRule(string chain, string text)
    {
        var t = new Tokens(text);
        var steps = new List<Func<State, Outcome>>();
        var terminal = false;
        while (!t.AtEnd)
        {
            if (terminal) throw Unsupported(t.Peek()!, text + " (a statement after a verdict)");
            var word = t.Peek()!;
            switch (word)
            {
                case "goto" or "jump":
                {
                    t.Next();
                    var target = t.Next();
                    _chainRefs.Add((target, chain + ": " + text));
                    var o = new Outcome(word == "goto" ? Kind.Goto : Kind.Jump, target);
                    steps.Add(_ => o);
                    terminal = true;
                    break;
                }
                case "drop": t.Next(); steps.Add(_ => new Outcome(Kind.Drop)); terminal = true; break;
                case "accept": t.Next(); steps.Add(_ => Outcome.Accept); terminal = true; break;
                case "return": t.Next(); steps.Add(_ => new Outcome(Kind.Return)); terminal = true; break;
                case "reject":
                {
                    t.Next();
                    var reset = false;
                    if (t.Peek() == "with")
                    {
                        t.Next();
                        t.Expect("tcp");
                        t.Expect("reset");
                        reset = true;
                    }
                    steps.Add(st =>
                    {
                        if (reset && st.Packet.Proto != "tcp") return Outcome.NoMatch; // 'reject with tcp reset' implies meta l4proto tcp
                        st.TcpReset = reset;
                        return new Outcome(Kind.Reject);
                    });
                    terminal = true;
                    break;
                }
                case "fib":
                    t.Next(); t.Expect("saddr"); t.Expect("type"); t.Expect("local");
                    steps.Add(st => st.Packet.SourceIsLocal ? Outcome.Continue : Outcome.NoMatch);
                    break;
                case "ct":
                {
                    t.Next();
                    var what = t.Next();
                    var value = t.Next();
                    if (what == "state" && value == "new") steps.Add(_ => Outcome.Continue); // every traced packet opens a connection
                    else if (what == "status" && value == "dnat") steps.Add(st => st.Dnat is not null ? Outcome.Continue : Outcome.NoMatch);
                    else throw Unsupported($"ct {what} {value}", text);
                    break;
                }
                case "counter":
                {
                    t.Next();
                    t.Expect("name");
                    var key = ParseConcatList(t);
                    t.Expect("map");
                    var map = MapRef(t, "counter", chain, text);
                    // The counter is not modelled; a miss breaks the rule as in the kernel.
                    steps.Add(st => Eval(key, st) is { } k && _sets[map].TryLookup(k, out _) ? Outcome.Continue : Outcome.NoMatch);
                    break;
                }
                case "update":
                {
                    t.Next();
                    var set = t.Next();
                    if (!set.StartsWith('@')) throw Unsupported(set, text);
                    set = set[1..];
                    t.Expect("{");
                    var key = ParseConcatList(t);
                    t.Expect("}");
                    _mapChecks.Add((set, "dynamic", text));
                    steps.Add(st =>
                    {
                        var s = _sets[set];
                        if (Eval(key, st) is not { } k) return Outcome.NoMatch;
                        s.Added.Add(string.Join(" . ", k));
                        return Outcome.Continue;
                    });
                    break;
                }
                case "dnat": steps.Add(CompileDnat(t, chain, text)); terminal = true; break;
                case "snat":
                {
                    t.Next();
                    var family = FamilyOf(t.Next(), text);
                    t.Expect("to");
                    var addr = ParseAddress(t.Next(), text);
                    if (addr.AddressFamily != family) throw Unsupported(addr.ToString(), text);
                    t.Expect("fully-random");
                    steps.Add(st =>
                    {
                        if (st.Packet.Family != family) return Outcome.NoMatch;
                        st.Masqueraded = true;
                        st.SnatTo = addr;
                        st.NatDoneInHook = true;
                        return Outcome.Accept;
                    });
                    terminal = true;
                    break;
                }
                case "masquerade":
                    t.Next();
                    t.Expect("fully-random");
                    steps.Add(st =>
                    {
                        if (st.Hook != "postrouting") throw new NotSupportedException($"'{text}' outside postrouting");
                        st.Masqueraded = true;
                        st.NatDoneInHook = true;
                        return Outcome.Accept;
                    });
                    terminal = true;
                    break;
                case "meta" when t.Peek(1) == "mark":
                    steps.Add(CompileMark(t, text));
                    break;
                default:
                    steps.Add(CompileMatch(t, chain, text));
                    break;
            }
        }
        if (steps.Count == 0) throw new NotSupportedException($"an empty rule in {chain}");
        var rule = new Rule(text, steps, [.. _mapChecks], [.. _chainRefs]);
        _mapChecks.Clear();
        _chainRefs.Clear();
        return rule;
    }

    private static Func<State, Outcome> CompileMark(Tokens t, string text)
    {
        t.Next(); t.Next(); // meta mark
        var op = t.Next();
        if (op == "set")
        {
            t.Expect("meta");
            t.Expect("mark");
            var bit = t.Next();
            var value = ParseHex(t.Next(), text);
            return bit switch
            {
                "|" => st => { st.Mark |= value; return Outcome.Continue; },
                "&" => st => { st.Mark &= value; return Outcome.Continue; },
                _ => throw Unsupported(bit, text),
            };
        }
        if (op == "&")
        {
            var mask = ParseHex(t.Next(), text);
            t.Expect("==");
            var want = ParseHex(t.Next(), text);
            return st => (st.Mark & mask) == want ? Outcome.Continue : Outcome.NoMatch;
        }
        throw Unsupported(op, text);
    }

    private Func<State, Outcome> CompileDnat(Tokens t, string chain, string text)
    {
        t.Next();
        var family = FamilyOf(t.Next(), text);
        t.Expect("to");
        var next = t.Peek() ?? throw Unsupported("end of rule", text);
        if (next.StartsWith('[') || DnatLiteral().IsMatch(next))
        {
            t.Next();
            if (!IPEndPoint.TryParse(next, out var ep) || ep.AddressFamily != family || ep.Port == 0) throw Unsupported(next, text);
            return st => Dnat(st, family, ep);
        }
        var key = ParseConcatList(t);
        t.Expect("map");
        var map = MapRef(t, "data", chain, text);
        return st =>
        {
            if (st.Packet.Family != family) return Outcome.NoMatch;
            if (Eval(key, st) is not { } k || !_sets[map].TryLookup(k, out var data)) return Outcome.NoMatch; // a map miss breaks the rule
            var parts = data!.Split(" . ");
            if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var a) || a.AddressFamily != family
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw Unsupported(data, $"the data of {map} for '{string.Join(" . ", k)}'");
            return Dnat(st, family, new IPEndPoint(a, port));
        };
    }

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$")]
    private static partial Regex DnatLiteral();

    private static Outcome Dnat(State st, AddressFamily family, IPEndPoint to)
    {
        if (st.Packet.Family != family) return Outcome.NoMatch;
        if (st.Hook is not ("prerouting" or "output")) throw new NotSupportedException($"dnat in {st.Hook}");
        st.Dnat = to;
        st.Daddr = to.Address;
        st.Dport = to.Port;
        st.NatDoneInHook = true;
        return Outcome.Accept;
    }

    private Func<State, Outcome> CompileMatch(Tokens t, string chain, string text)
    {
        var exprs = ParseConcatList(t);
        var exprText = string.Join(" . ", exprs.Select(e => e.Text));
        var op = t.Peek() ?? throw Unsupported("end of rule after " + exprText, text);
        if (op == "vmap")
        {
            t.Next();
            var map = MapRef(t, "verdict", chain, text);
            return st =>
            {
                if (Eval(exprs, st) is not { } k || !_sets[map].TryLookup(k, out var verdict)) return Outcome.NoMatch;
                var v = verdict!.Split(' ');
                return new Outcome(v[0] == "goto" ? Kind.Goto : Kind.Jump, v[1]);
            };
        }
        if (op is "!=" || op.StartsWith('@'))
        {
            var negate = op == "!=";
            if (negate) t.Next();
            var set = SetRef(t, chain, text);
            return st =>
            {
                if (Eval(exprs, st) is not { } k) return Outcome.NoMatch;
                return _sets[set].TryLookup(k, out _) != negate ? Outcome.Continue : Outcome.NoMatch;
            };
        }
        if (exprs.Count != 1) throw Unsupported(op, text);
        var e = exprs[0];
        t.Next();
        var literal = e.LiteralKind switch
        {
            "proto" when op is "tcp" or "udp" or "sctp" => op,
            "nfproto" when op is "ipv4" or "ipv6" => op,
            "addr" when (op.Contains(':', StringComparison.Ordinal) || DottedQuad().IsMatch(op)) && IPAddress.TryParse(op, out var a) => a.ToString(),
            "int" when int.TryParse(op, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => throw Unsupported(op, text),
        };
        return st => e.Eval(st) == literal ? Outcome.Continue : Outcome.NoMatch;
    }

    private string SetRef(Tokens t, string chain, string text)
    {
        var token = t.Next();
        if (!token.StartsWith('@')) throw Unsupported(token, text);
        var name = token[1..];
        _mapChecks.Add((name, null, $"{chain}: {text}"));
        return name;
    }

    private string MapRef(Tokens t, string data, string chain, string text)
    {
        var token = t.Next();
        if (!token.StartsWith('@')) throw Unsupported(token, text);
        var name = token[1..];
        _mapChecks.Add((name, data, $"{chain}: {text}"));
        return name;
    }

    /// <summary>(name, map data kind or null for a set, rule): checked once everything is loaded.</summary>
    private readonly List<(string Name, string? Data, string Rule)> _mapChecks = [];

    private List<Expr> ParseConcatList(Tokens t)
    {
        var list = new List<Expr> { ParsePrimary(t) };
        while (t.Peek() == ".")
        {
            t.Next();
            list.Add(ParsePrimary(t));
        }
        return list;
    }

    private static string[]? Eval(List<Expr> exprs, State st)
    {
        var values = new string[exprs.Count];
        for (var i = 0; i < exprs.Count; i++)
            if ((values[i] = exprs[i].Eval(st)!) is null) return null;
        return values;
    }

    private Expr ParsePrimary(Tokens t)
    {
        var start = t.Pos;
        var word = t.Next();
        switch (word)
        {
            case "ip" or "ip6":
            {
                var family = FamilyOf(word, t.Rule);
                var field = t.Next();
                Func<State, string?> eval = field switch
                {
                    "saddr" => st => st.Packet.Family == family ? st.Packet.Saddr.ToString() : null,
                    "daddr" => st => st.Packet.Family == family ? st.Daddr.ToString() : null,
                    _ => throw Unsupported(field, t.Rule),
                };
                return new Expr(t.Text(start, t.Pos), "addr", eval);
            }
            case "th" or "tcp" or "udp" or "sctp":
            {
                var field = t.Next();
                Func<State, string?> eval = field switch
                {
                    "dport" => st => word == "th" || st.Packet.Proto == word ? st.Dport.ToString(CultureInfo.InvariantCulture) : null,
                    "sport" => st => word == "th" || st.Packet.Proto == word ? st.Packet.Sport.ToString(CultureInfo.InvariantCulture) : null,
                    _ => throw Unsupported(field, t.Rule),
                };
                return new Expr(t.Text(start, t.Pos), "int", eval);
            }
            case "meta":
            {
                var field = t.Next();
                return field switch
                {
                    "l4proto" => new Expr("meta l4proto", "proto", st => st.Packet.Proto),
                    "nfproto" => new Expr("meta nfproto", "nfproto", st => st.Packet.Family == AddressFamily.InterNetwork ? "ipv4" : "ipv6"),
                    _ => throw Unsupported("meta " + field, t.Rule),
                };
            }
            case "numgen":
            {
                t.Expect("random");
                t.Expect("mod");
                var mod = ParseModulus(t.Next(), t.Rule);
                var text = t.Text(start, t.Pos);
                return new Expr(text, "int", st => st.Choose(new NftChoice(text, mod, [])).ToString(CultureInfo.InvariantCulture));
            }
            case "jhash":
            {
                var inputs = ParseConcatList(t);
                t.Expect("mod");
                var mod = ParseModulus(t.Next(), t.Rule);
                t.Expect("seed");
                ParseHex(t.Next(), t.Rule);
                var text = t.Text(start, t.Pos);
                return new Expr(text, "int", st => Eval(inputs, st) is { } values
                    ? st.Choose(new NftChoice(text, mod, values)).ToString(CultureInfo.InvariantCulture)
                    : null);
            }
            default: throw Unsupported(word, t.Rule);
        }
    }

    private static int ParseModulus(string token, string rule)
        => int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : throw Unsupported(token, rule);

    private static uint ParseHex(string token, string rule)
        => token.StartsWith("0x", StringComparison.Ordinal) && uint.TryParse(token.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            ? v : throw Unsupported(token, rule);

    private static AddressFamily FamilyOf(string word, string rule) => word switch
    {
        "ip" => AddressFamily.InterNetwork,
        "ip6" => AddressFamily.InterNetworkV6,
        _ => throw Unsupported(word, rule),
    };

    private static IPAddress ParseAddress(string token, string rule)
        => IPAddress.TryParse(token, out var a) ? a : throw Unsupported(token, rule);
}

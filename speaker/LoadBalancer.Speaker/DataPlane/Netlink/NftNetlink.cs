using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane.Netlink;

/// <summary>
/// Pure nf_tables netlink encoding (linux/netfilter/nf_tables.h, nfnetlink.h) of an incremental transaction:
/// one batch <c>NFNL_MSG_BATCH_BEGIN … NFNL_MSG_BATCH_END</c>, which the kernel commits all-or-nothing. Each message
/// asks for an ACK, so the answer names the message (by sequence number) that the kernel refused.
/// <para>
/// Rules are compiled from the renderer's own rule text, for the grammar the renderer emits for a Service's chains;
/// the expression layouts are nft 1.0.6's (captured with <c>nft --debug=netlink,mnl</c>, golden-tested byte for byte),
/// so <c>nft list table</c> reads back exactly what a full load through nft shows. What is not covered (affinity
/// sets and their rules, consistent-hash rings) makes <see cref="TryEncode"/> return
/// false: the caller then sends the same transaction as text through libnftables.
/// </para>
/// </summary>
internal static class NftNetlink
{
    public const int NETLINK_NETFILTER = LoadBalancer.Speaker.Interop.Interop.Linux.NETLINK_NETFILTER;
    public const ushort NFNL_MSG_BATCH_BEGIN = 0x10;
    public const ushort NFNL_MSG_BATCH_END = 0x11;
    public const ushort NFNL_SUBSYS_NFTABLES = 10;
    public const byte NFPROTO_INET = 1;
    public const byte NFPROTO_IPV4 = 2;
    public const byte NFPROTO_IPV6 = 10;

    public const ushort NLM_F_REQUEST = LoadBalancer.Speaker.Interop.Interop.Linux.NLM_F_REQUEST;
    public const ushort NLM_F_ACK = 0x4;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_APPEND = 0x800;
    public const ushort NLMSG_ERROR = LoadBalancer.Speaker.Interop.Interop.Linux.NLMSG_ERROR;

    // enum nf_tables_msg_types
    public const ushort NFT_MSG_NEWCHAIN = 3, NFT_MSG_DELCHAIN = 5, NFT_MSG_NEWRULE = 6, NFT_MSG_DELRULE = 8,
        NFT_MSG_NEWSET = 9, NFT_MSG_DELSET = 11, NFT_MSG_NEWSETELEM = 12, NFT_MSG_DELSETELEM = 14, NFT_MSG_NEWOBJ = 18, NFT_MSG_DELOBJ = 20;

    private const uint NFT_OBJECT_COUNTER = 1;
    private const uint NFT_REG_VERDICT = 0, NFT_REG_1 = 1, NFT_REG_2 = 2;
    private const uint NFT_GOTO = unchecked((uint)-4), NF_DROP = 0;
    private const uint NFT_META_MARK = 3, NFT_META_NFPROTO = 15, NFT_META_L4PROTO = 16;
    private const uint NFT_PAYLOAD_NETWORK_HEADER = 1;
    private const uint NFT_NG_RANDOM = 1;
    private const uint NFT_NAT_DNAT = 1;
    private const uint NF_NAT_RANGE_PROTO_SPECIFIED = 2;
    private const uint NFTA_FIB_F_SADDR = 1, NFT_FIB_RESULT_ADDRTYPE = 3, RTN_LOCAL = 2;

    private static ushort MessageType(ushort msg) => (ushort)((NFNL_SUBSYS_NFTABLES << 8) | msg);

    /// <summary>
    /// Encodes <paramref name="ops"/> as one batch into <paramref name="buffer"/>. Message i (0-based) carries sequence
    /// <c>firstSequence + 1 + i</c>; the batch begin and end carry <c>firstSequence</c> and the one after the last.
    /// Returns false when an operation is outside what the encoder covers (<paramref name="unsupported"/> says which)
    /// or the buffer is too small (<paramref name="length"/> is then 0 and unsupported null: grow and retry).
    /// </summary>
    public static bool TryEncode(string table, IReadOnlyList<NftOp> ops, uint firstSequence, Span<byte> buffer, out int length, out string? unsupported)
    {
        length = 0;
        unsupported = null;
        var w = new NlWriter(buffer);
        var begin = w.BeginMessage(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, firstSequence, 0, NFNL_SUBSYS_NFTABLES);
        w.EndMessage(begin);
        var seq = firstSequence;
        foreach (var op in ops)
        {
            seq++;
            if (!TryWriteOp(ref w, table, op, seq))
            {
                unsupported = op.Kind + " " + op.Name + (op.Text is null ? "" : " " + op.Text);
                return false;
            }
        }
        var end = w.BeginMessage(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 1, 0, NFNL_SUBSYS_NFTABLES);
        w.EndMessage(end);
        if (!w.Ok) return false;
        length = w.Length;
        return true;
    }

    /// <summary>True when every operation can go through <see cref="TryEncode"/> (checked without a buffer).</summary>
    public static bool Covers(NftOp op, out string? why)
    {
        why = null;
        switch (op.Kind)
        {
            case NftOpKind.AddChain or NftOpKind.FlushChain or NftOpKind.DeleteChain or NftOpKind.AddCounter or NftOpKind.DeleteCounter:
                return true;
            case NftOpKind.AddSet or NftOpKind.DeleteSet when NftShapes.IsShape(op.Name):
                if (op.Kind == NftOpKind.DeleteSet || op.Text == NftShapes.SetDefinition(op.Name)) return true;
                why = "set " + op.Name + " { " + op.Text + " }";
                return false;
            case NftOpKind.AddRule:
                Span<byte> scratch = stackalloc byte[2048];
                var w = new NlWriter(scratch);
                if (TryWriteRule(ref w, op.Text!) && w.Ok) return true;
                why = "rule \"" + op.Text + "\"";
                return false;
            case NftOpKind.AddElements or NftOpKind.DeleteElements:
                Span<byte> key = stackalloc byte[64];
                Span<byte> keyEnd = stackalloc byte[64];
                Span<byte> data = stackalloc byte[64];
                foreach (var e in op.Elements!)
                    if (ElementKind(e.Map) is not { } kind || !TryKey(kind, e.Key, key, keyEnd, out _, out var isRange) || isRange != (kind == 'r')
                        || (op.Kind == NftOpKind.AddElements && (!ValueOk(e) || (kind == 'm' && !TryEndpoint(e.Value!, data, out _)))))
                    {
                        why = $"element {e.Map} {e.Render()}";
                        return false;
                    }
                return true;
            default:
                why = op.Kind + " " + op.Name;
                return false;
        }
    }

    private static bool ValueOk(NftElement e) => ElementKind(e.Map) switch
    {
        'v' => e.Value is not null && e.Value.StartsWith("goto ", StringComparison.Ordinal),
        'o' => e.Value is not null && e.Value.Length > 2 && e.Value[0] == '"' && e.Value[^1] == '"',
        's' or 'r' or 'p' => e.Value is null,
        'm' => e.Value is not null,
        _ => false,
    };

    /// <summary>
    /// v: verdict map (svc4/svc6), o: counter map (ctr/conn), s: plain set of <c>addr . proto . port</c> (fw, the
    /// policy sets, the shape sets), r: interval set of <c>addr . proto . port . source-range</c> (allow), m: ring map
    /// <c>addr . port . slot : addr . port</c> (cep4-tcp, lep6-udp, …), p: address pair set (hp); null: not covered.
    /// </summary>
    private static char? ElementKind(string map) => map switch
    {
        "svc4" or "svc6" => 'v',
        "ctr4" or "ctr6" or "conn4" or "conn6" => 'o',
        "fw4" or "fw6" => 's',
        "allow4" or "allow6" => 'r',
        "hp4" or "hp6" => 'p',
        _ when NftNames.IsPolicySet(map) || NftShapes.IsShape(map) => 's',
        _ when NftShapes.IsRing(map) => 'm',
        _ => null,
    };

    private static bool TryWriteOp(ref NlWriter w, string table, NftOp op, uint seq)
    {
        const ushort create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
        const ushort plain = NLM_F_REQUEST | NLM_F_ACK;
        int m;
        switch (op.Kind)
        {
            case NftOpKind.AddChain or NftOpKind.DeleteChain:
                m = w.BeginMessage(MessageType(op.Kind == NftOpKind.AddChain ? NFT_MSG_NEWCHAIN : NFT_MSG_DELCHAIN),
                    op.Kind == NftOpKind.AddChain ? create : plain, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_CHAIN_TABLE
                w.String(3, op.Name); // NFTA_CHAIN_NAME
                w.EndMessage(m);
                return true;
            case NftOpKind.FlushChain:
                m = w.BeginMessage(MessageType(NFT_MSG_DELRULE), plain, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_RULE_TABLE
                w.String(2, op.Name); // NFTA_RULE_CHAIN; no handle: every rule of the chain
                w.EndMessage(m);
                return true;
            case NftOpKind.AddCounter or NftOpKind.DeleteCounter:
                var add = op.Kind == NftOpKind.AddCounter;
                m = w.BeginMessage(MessageType(add ? NFT_MSG_NEWOBJ : NFT_MSG_DELOBJ), add ? create : plain, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_OBJ_TABLE
                w.String(2, op.Name); // NFTA_OBJ_NAME
                w.U32(3, NFT_OBJECT_COUNTER); // NFTA_OBJ_TYPE
                var data = w.BeginNested(4); // NFTA_OBJ_DATA
                if (add)
                {
                    w.U64(1, 0); // NFTA_COUNTER_BYTES
                    w.U64(2, 0); // NFTA_COUNTER_PACKETS
                }
                w.EndNested(data);
                w.EndMessage(m);
                return true;
            case NftOpKind.AddSet or NftOpKind.DeleteSet:
                if (!NftShapes.TryParse(op.Name, out _, out var setFamily, out _, out _, out _)) return false;
                if (op.Kind == NftOpKind.AddSet && op.Text != NftShapes.SetDefinition(op.Name)) return false;
                var adding = op.Kind == NftOpKind.AddSet;
                m = w.BeginMessage(MessageType(adding ? NFT_MSG_NEWSET : NFT_MSG_DELSET), adding ? create : plain, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_SET_TABLE
                w.String(2, op.Name); // NFTA_SET_NAME
                if (adding)
                {
                    var v6 = setFamily == AddressFamily.InterNetworkV6;
                    w.U32(3, 0); // NFTA_SET_FLAGS
                    w.U32(4, v6 ? 0x830du : 0x730du); // NFTA_SET_KEY_TYPE: nft's id of addr . inet_proto . inet_service
                    w.U32(5, v6 ? 24u : 12u); // NFTA_SET_KEY_LEN
                    w.U32(10, seq); // NFTA_SET_ID: required by the kernel, unique in the batch
                    w.Bytes(13, ShapeSetUserData); // NFTA_SET_USERDATA: nft's key byte order and concatenation
                }
                w.EndMessage(m);
                return true;
            case NftOpKind.AddRule:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWRULE), create | NLM_F_APPEND, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_RULE_TABLE
                w.String(2, op.Name); // NFTA_RULE_CHAIN
                if (!TryWriteRule(ref w, op.Text!)) return false;
                w.EndMessage(m);
                return true;
            case NftOpKind.AddElements or NftOpKind.DeleteElements:
                adding = op.Kind == NftOpKind.AddElements;
                if (ElementKind(op.Name) is not { } kind) return false;
                m = w.BeginMessage(MessageType(adding ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM), adding ? create : plain, seq, NFPROTO_INET, 0);
                w.String(1, table); // NFTA_SET_ELEM_LIST_TABLE
                w.String(2, op.Name); // NFTA_SET_ELEM_LIST_SET
                var list = w.BeginNested(3); // NFTA_SET_ELEM_LIST_ELEMENTS
                Span<byte> key = stackalloc byte[64];
                Span<byte> keyEnd = stackalloc byte[64];
                Span<byte> value = stackalloc byte[64];
                foreach (var e in op.Elements!)
                {
                    if (!TryKey(kind, e.Key, key, keyEnd, out var keyLength, out var isRange) || isRange != (kind == 'r')) return false;
                    var elem = w.BeginNested(1); // NFTA_LIST_ELEM
                    var k = w.BeginNested(1); // NFTA_SET_ELEM_KEY
                    w.Bytes(1, key[..keyLength]); // NFTA_DATA_VALUE
                    w.EndNested(k);
                    if (isRange)
                    {
                        k = w.BeginNested(10); // NFTA_SET_ELEM_KEY_END: the last address of the range
                        w.Bytes(1, keyEnd[..keyLength]);
                        w.EndNested(k);
                    }
                    if (adding)
                    {
                        if (!ValueOk(e)) return false;
                        if (kind == 'v')
                        {
                            var d = w.BeginNested(2); // NFTA_SET_ELEM_DATA
                            WriteVerdict(ref w, NFT_GOTO, e.Value!["goto ".Length..]);
                            w.EndNested(d);
                        }
                        else if (kind == 'o')
                        {
                            w.String(9, e.Value![1..^1]); // NFTA_SET_ELEM_OBJREF
                        }
                        else if (kind == 'm')
                        {
                            if (!TryEndpoint(e.Value!, value, out var valueLength)) return false;
                            var d = w.BeginNested(2); // NFTA_SET_ELEM_DATA
                            w.Bytes(1, value[..valueLength]); // NFTA_DATA_VALUE
                            w.EndNested(d);
                        }
                    }
                    w.EndNested(elem);
                }
                w.EndNested(list);
                w.EndMessage(m);
                return true;
            default:
                return false;
        }
    }

    /// <summary>NFTA_DATA_VERDICT { NFTA_VERDICT_CODE, NFTA_VERDICT_CHAIN }.</summary>
    private static void WriteVerdict(ref NlWriter w, uint code, string? chain)
    {
        var v = w.BeginNested(2); // NFTA_DATA_VERDICT
        w.U32(1, code); // NFTA_VERDICT_CODE
        if (chain is not null) w.String(2, chain); // NFTA_VERDICT_CHAIN
        w.EndNested(v);
    }

    /// <summary>
    /// A concatenated element key <c>addr . proto . port</c>, optionally <c>. source-prefix</c>: each field padded to
    /// 4 bytes (addresses and ports in network order, the protocol one byte), as nft lays out concatenations. With a
    /// prefix the key is a range: <paramref name="key"/> holds its first address, <paramref name="keyEnd"/> its last.
    /// </summary>
    /// <summary>
    /// A key of element kind <paramref name="kind"/> (see <see cref="ElementKind"/>). Ring keys are <c>addr . port . slot</c>,
    /// the slot a 32-bit integer in host byte order (the register <c>numgen</c>/<c>jhash</c> write); pair keys are two addresses.
    /// </summary>
    internal static bool TryKey(char kind, string text, Span<byte> key, Span<byte> keyEnd, out int length, out bool isRange)
    {
        length = 0;
        isRange = false;
        if (kind == 'p')
        {
            var pair = text.Split(" . ");
            if (pair.Length != 2 || !IPAddress.TryParse(pair[0], out var first) || !IPAddress.TryParse(pair[1], out var second)
                || first.AddressFamily != second.AddressFamily) return false;
            var size = first.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4;
            if (key.Length < 2 * size || !first.TryWriteBytes(key, out _) || !second.TryWriteBytes(key[size..], out _)) return false;
            length = 2 * size;
            return true;
        }
        if (kind == 'm')
        {
            var ring = text.Split(" . ");
            if (ring.Length != 3 || !uint.TryParse(ring[2], NumberStyles.None, CultureInfo.InvariantCulture, out var slot)
                || !TryEndpoint(ring[0] + " . " + ring[1], key, out var baseLength) || key.Length < baseLength + 4) return false;
            if (BitConverter.IsLittleEndian) BinaryPrimitives.WriteUInt32LittleEndian(key[baseLength..], slot);
            else BinaryPrimitives.WriteUInt32BigEndian(key[baseLength..], slot);
            length = baseLength + 4;
            return true;
        }
        var parts = text.Split(" . ");
        if (parts.Length is not (3 or 4) || !IPAddress.TryParse(parts[0], out var address)) return false;
        var proto = parts[1] switch { "tcp" => 6, "udp" => 17, "sctp" => 132, _ => -1 };
        if (proto < 0 || !ushort.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
        var a = address.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4;
        var total = a + 8 + (parts.Length == 4 ? a : 0);
        if (key.Length < total || keyEnd.Length < total) return false;
        key[..total].Clear();
        if (!address.TryWriteBytes(key, out _)) return false;
        key[a] = (byte)proto;
        BinaryPrimitives.WriteUInt16BigEndian(key[(a + 4)..], port);
        if (parts.Length == 4)
        {
            if (!IPNetwork.TryParse(parts[3], out var range) || range.BaseAddress.AddressFamily != address.AddressFamily) return false;
            var start = key.Slice(a + 8, a);
            if (!range.BaseAddress.TryWriteBytes(start, out _)) return false;
            key[..total].CopyTo(keyEnd);
            var end = keyEnd.Slice(a + 8, a);
            for (var bit = range.PrefixLength; bit < a * 8; bit++) end[bit / 8] |= (byte)(0x80 >> (bit % 8));
            isRange = true;
        }
        length = total;
        return true;
    }

    /// <summary>Ring map data <c>addr . port</c>: the address, then the port in network order padded to 4 bytes.</summary>
    internal static bool TryEndpoint(string text, Span<byte> value, out int length)
    {
        length = 0;
        var parts = text.Split(" . ");
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address)
            || !ushort.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
        var a = address.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4;
        if (value.Length < a + 4 || !address.TryWriteBytes(value, out _)) return false;
        value.Slice(a, 4).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(value[a..], port);
        length = a + 4;
        return true;
    }

    // ---- rules -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes NFTA_RULE_EXPRESSIONS for one rule of the renderer's per-Service grammar:
    /// <c>ip|ip6 saddr ADDR|@set</c>, <c>fib saddr type local</c>, <c>meta l4proto P</c>,
    /// <c>numgen random mod N V</c>, <c>meta mark set meta mark | M</c>, <c>dnat ip|ip6 to ADDR:PORT</c>,
    /// then <c>goto CHAIN</c> or <c>drop</c>. Returns false on anything else.
    /// </summary>
    /// <summary>The user data nft 1.0.6 attaches to a <c>type addr . inet_proto . inet_service</c> set (listing needs it).</summary>
    private static ReadOnlySpan<byte> ShapeSetUserData => [0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x00, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00];

    private const uint NFT_REG32_01 = 9, NFT_REG32_02 = 10, NFT_REG32_05 = 13, NFT_REG32_07 = 15, NFT_REG_3 = 3,
        NFT_REG32_10 = 18, NFT_REG32_14 = 22;
    private const uint NFT_PAYLOAD_TRANSPORT_HEADER = 2, NFT_HASH_JENKINS = 0;

    /// <summary>
    /// The rule of an endpoint-choice shape (<see cref="NftShapes.Rule"/>), laid out as nft 1.0.6 does: the membership
    /// lookup of <c>daddr . l4proto . dport</c> in the shape's set, the protocol dependency, then <c>daddr . dport . slot</c>
    /// (slot from numgen or jhash) looked up in the ring map into the registers the dnat reads.
    /// </summary>
    private static bool TryWriteShapeRule(ref NlWriter w, string rule)
    {
        var at = rule.IndexOf('@', StringComparison.Ordinal);
        var end = at < 0 ? -1 : rule.IndexOf(' ', at);
        if (end < 0 || !NftShapes.TryParse(rule[(at + 1)..end], out var local, out var family, out var proto, out var hash, out var size)) return false;
        var shape = rule[(at + 1)..end];
        var seed = 0u;
        var s = rule.IndexOf(" seed 0x", StringComparison.Ordinal);
        if (hash && (s < 0 || !uint.TryParse(rule.AsSpan(s + 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out seed))) return false;
        if (rule != NftShapes.Rule(shape, seed)) return false;
        var v6 = family == AddressFamily.InterNetworkV6;
        uint addrOffset = v6 ? 24u : 16u, addrLength = v6 ? 16u : 4u;
        uint protoReg = v6 ? NFT_REG_2 : NFT_REG32_01, portReg = v6 ? NFT_REG32_05 : NFT_REG32_02;
        var exprs = w.BeginNested(4); // NFTA_RULE_EXPRESSIONS
        Meta(ref w, NFT_META_NFPROTO, NFT_REG_1);
        Cmp(ref w, NFT_REG_1, [v6 ? NFPROTO_IPV6 : NFPROTO_IPV4]);
        Payload(ref w, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, addrOffset, addrLength);
        Meta(ref w, NFT_META_L4PROTO, protoReg);
        Payload(ref w, portReg, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        Lookup(ref w, NFT_REG_1, shape);
        Meta(ref w, NFT_META_L4PROTO, NFT_REG_1);
        Cmp(ref w, NFT_REG_1, [proto switch { "tcp" => 6, "udp" => 17, _ => 132 }]);
        Payload(ref w, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, addrOffset, addrLength);
        Payload(ref w, protoReg, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        if (hash)
        {
            var saddrReg = v6 ? NFT_REG32_10 : NFT_REG32_07;
            Payload(ref w, saddrReg, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8u : 12u, addrLength);
            Payload(ref w, v6 ? NFT_REG32_14 : NFT_REG_3, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
            var e = BeginExpr(ref w, "hash");
            w.U32(1, saddrReg); // NFTA_HASH_SREG
            w.U32(2, portReg); // NFTA_HASH_DREG
            w.U32(3, addrLength + 4); // NFTA_HASH_LEN: saddr . sport
            w.U32(4, (uint)size); // NFTA_HASH_MODULUS
            w.U32(5, seed); // NFTA_HASH_SEED
            w.U32(6, 0); // NFTA_HASH_OFFSET
            w.U32(7, NFT_HASH_JENKINS); // NFTA_HASH_TYPE
            EndExpr(ref w, e);
        }
        else
        {
            var e = BeginExpr(ref w, "numgen");
            w.U32(1, portReg); // NFTA_NG_DREG
            w.U32(2, (uint)size); // NFTA_NG_MODULUS
            w.U32(3, NFT_NG_RANDOM); // NFTA_NG_TYPE
            w.U32(4, 0); // NFTA_NG_OFFSET
            EndExpr(ref w, e);
        }
        var l = BeginExpr(ref w, "lookup");
        w.U32(2, NFT_REG_1); // NFTA_LOOKUP_SREG
        w.U32(3, NFT_REG_1); // NFTA_LOOKUP_DREG
        w.String(1, NftShapes.Ring(local, family, proto)); // NFTA_LOOKUP_SET
        EndExpr(ref w, l);
        var nat = BeginExpr(ref w, "nat");
        w.U32(1, NFT_NAT_DNAT); // NFTA_NAT_TYPE
        w.U32(2, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4); // NFTA_NAT_FAMILY
        w.U32(3, NFT_REG_1); // NFTA_NAT_REG_ADDR_MIN
        w.U32(5, protoReg); // NFTA_NAT_REG_PROTO_MIN
        EndExpr(ref w, nat);
        w.EndNested(exprs);
        return true;
    }

    internal static bool TryWriteRule(ref NlWriter w, string rule)
    {
        if (rule.Contains(" dnat ip", StringComparison.Ordinal) && rule.Contains(" map @", StringComparison.Ordinal)) return TryWriteShapeRule(ref w, rule);
        var t = rule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Span<byte> b = stackalloc byte[16];
        var exprs = w.BeginNested(4); // NFTA_RULE_EXPRESSIONS
        var i = 0;
        while (i < t.Length)
        {
            if ((t[i] == "ip" || t[i] == "ip6") && i + 2 < t.Length && t[i + 1] == "saddr")
            {
                var v6 = t[i] == "ip6";
                Meta(ref w, NFT_META_NFPROTO, NFT_REG_1);
                Cmp(ref w, NFT_REG_1, [v6 ? NFPROTO_IPV6 : NFPROTO_IPV4]);
                Payload(ref w, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8u : 12u, v6 ? 16u : 4u);
                var arg = t[i + 2];
                if (arg.StartsWith('@'))
                {
                    Lookup(ref w, NFT_REG_1, arg[1..]);
                }
                else
                {
                    if (!IPAddress.TryParse(arg, out var a) || (a.AddressFamily == AddressFamily.InterNetworkV6) != v6) return false;
                    a.TryWriteBytes(b, out var n);
                    Cmp(ref w, NFT_REG_1, b[..n]);
                }
                i += 3;
            }
            else if (Match(t, i, "fib", "saddr", "type", "local"))
            {
                var e = BeginExpr(ref w, "fib");
                w.U32(3, NFTA_FIB_F_SADDR); // NFTA_FIB_FLAGS
                w.U32(2, NFT_FIB_RESULT_ADDRTYPE); // NFTA_FIB_RESULT
                w.U32(1, NFT_REG_1); // NFTA_FIB_DREG
                EndExpr(ref w, e);
                BinaryPrimitives.WriteUInt32LittleEndian(b, RTN_LOCAL);
                Cmp(ref w, NFT_REG_1, b[..4]);
                i += 4;
            }
            else if (Match(t, i, "meta", "l4proto") && i + 2 < t.Length)
            {
                var p = t[i + 2] switch { "tcp" => 6, "udp" => 17, "sctp" => 132, _ => -1 };
                if (p < 0) return false;
                Meta(ref w, NFT_META_L4PROTO, NFT_REG_1);
                Cmp(ref w, NFT_REG_1, [(byte)p]);
                i += 3;
            }
            else if (Match(t, i, "numgen", "random", "mod") && i + 4 < t.Length
                && uint.TryParse(t[i + 3], NumberStyles.None, CultureInfo.InvariantCulture, out var mod)
                && uint.TryParse(t[i + 4], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                var e = BeginExpr(ref w, "numgen");
                w.U32(1, NFT_REG_1); // NFTA_NG_DREG
                w.U32(2, mod); // NFTA_NG_MODULUS
                w.U32(3, NFT_NG_RANDOM); // NFTA_NG_TYPE
                w.U32(4, 0); // NFTA_NG_OFFSET
                EndExpr(ref w, e);
                BinaryPrimitives.WriteUInt32LittleEndian(b, value);
                Cmp(ref w, NFT_REG_1, b[..4]);
                i += 5;
            }
            else if (Match(t, i, "meta", "mark", "set", "meta", "mark", "|") && i + 6 < t.Length
                && t[i + 6].StartsWith("0x", StringComparison.Ordinal)
                && uint.TryParse(t[i + 6].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mark))
            {
                Meta(ref w, NFT_META_MARK, NFT_REG_1);
                var e = BeginExpr(ref w, "bitwise");
                w.U32(1, NFT_REG_1); // NFTA_BITWISE_SREG
                w.U32(2, NFT_REG_1); // NFTA_BITWISE_DREG
                w.U32(6, 0); // NFTA_BITWISE_OP: NFT_BITWISE_BOOL (mask-and-xor)
                w.U32(3, 4); // NFTA_BITWISE_LEN
                BinaryPrimitives.WriteUInt32LittleEndian(b, ~mark);
                Data(ref w, 4, b[..4]); // NFTA_BITWISE_MASK
                BinaryPrimitives.WriteUInt32LittleEndian(b, mark);
                Data(ref w, 5, b[..4]); // NFTA_BITWISE_XOR
                EndExpr(ref w, e);
                e = BeginExpr(ref w, "meta");
                w.U32(2, NFT_META_MARK); // NFTA_META_KEY
                w.U32(3, NFT_REG_1); // NFTA_META_SREG
                EndExpr(ref w, e);
                i += 7;
            }
            else if (t[i] == "dnat" && i + 3 < t.Length && (t[i + 1] == "ip" || t[i + 1] == "ip6") && t[i + 2] == "to")
            {
                var v6 = t[i + 1] == "ip6";
                var to = t[i + 3];
                var colon = to.LastIndexOf(':');
                if (colon < 0) return false;
                var host = to[..colon].Trim('[', ']');
                if (!IPAddress.TryParse(host, out var a) || (a.AddressFamily == AddressFamily.InterNetworkV6) != v6
                    || !ushort.TryParse(to.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
                a.TryWriteBytes(b, out var n);
                Immediate(ref w, NFT_REG_1, b[..n]);
                BinaryPrimitives.WriteUInt16BigEndian(b, port);
                Immediate(ref w, NFT_REG_2, b[..2]);
                var e = BeginExpr(ref w, "nat");
                w.U32(1, NFT_NAT_DNAT); // NFTA_NAT_TYPE
                w.U32(2, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4); // NFTA_NAT_FAMILY
                w.U32(3, NFT_REG_1); // NFTA_NAT_REG_ADDR_MIN
                w.U32(5, NFT_REG_2); // NFTA_NAT_REG_PROTO_MIN
                w.U32(7, NF_NAT_RANGE_PROTO_SPECIFIED); // NFTA_NAT_FLAGS
                EndExpr(ref w, e);
                i += 4;
            }
            else if (t[i] == "goto" && i + 2 == t.Length)
            {
                ImmediateVerdict(ref w, NFT_GOTO, t[i + 1]);
                i += 2;
            }
            else if (t[i] == "drop" && i + 1 == t.Length)
            {
                ImmediateVerdict(ref w, NF_DROP, null);
                i += 1;
            }
            else
            {
                return false;
            }
        }
        w.EndNested(exprs);
        return true;
    }

    private static bool Match(string[] t, int i, params ReadOnlySpan<string> words)
    {
        if (i + words.Length > t.Length) return false;
        for (var k = 0; k < words.Length; k++) if (t[i + k] != words[k]) return false;
        return true;
    }

    /// <summary>NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { … } }: returns both starts packed.</summary>
    private static (int Elem, int Data) BeginExpr(ref NlWriter w, string name)
    {
        var elem = w.BeginNested(1);
        w.String(1, name);
        return (elem, w.BeginNested(2));
    }

    private static void EndExpr(ref NlWriter w, (int Elem, int Data) e)
    {
        w.EndNested(e.Data);
        w.EndNested(e.Elem);
    }

    private static void Meta(ref NlWriter w, uint key, uint dreg)
    {
        var e = BeginExpr(ref w, "meta");
        w.U32(2, key); // NFTA_META_KEY
        w.U32(1, dreg); // NFTA_META_DREG
        EndExpr(ref w, e);
    }

    private static void Cmp(ref NlWriter w, uint sreg, scoped ReadOnlySpan<byte> value)
    {
        var e = BeginExpr(ref w, "cmp");
        w.U32(1, sreg); // NFTA_CMP_SREG
        w.U32(2, 0); // NFTA_CMP_OP: NFT_CMP_EQ
        Data(ref w, 3, value); // NFTA_CMP_DATA
        EndExpr(ref w, e);
    }

    private static void Payload(ref NlWriter w, uint dreg, uint baseHeader, uint offset, uint length)
    {
        var e = BeginExpr(ref w, "payload");
        w.U32(1, dreg); // NFTA_PAYLOAD_DREG
        w.U32(2, baseHeader); // NFTA_PAYLOAD_BASE
        w.U32(3, offset); // NFTA_PAYLOAD_OFFSET
        w.U32(4, length); // NFTA_PAYLOAD_LEN
        EndExpr(ref w, e);
    }

    private static void Lookup(ref NlWriter w, uint sreg, string set)
    {
        var e = BeginExpr(ref w, "lookup");
        w.U32(2, sreg); // NFTA_LOOKUP_SREG
        w.String(1, set); // NFTA_LOOKUP_SET
        EndExpr(ref w, e);
    }

    private static void ImmediateVerdict(ref NlWriter w, uint code, string? chain)
    {
        var e = BeginExpr(ref w, "immediate");
        w.U32(1, NFT_REG_VERDICT); // NFTA_IMMEDIATE_DREG
        var d = w.BeginNested(2); // NFTA_IMMEDIATE_DATA
        WriteVerdict(ref w, code, chain);
        w.EndNested(d);
        EndExpr(ref w, e);
    }

    private static void Immediate(ref NlWriter w, uint dreg, scoped ReadOnlySpan<byte> value)
    {
        var e = BeginExpr(ref w, "immediate");
        w.U32(1, dreg); // NFTA_IMMEDIATE_DREG
        Data(ref w, 2, value); // NFTA_IMMEDIATE_DATA
        EndExpr(ref w, e);
    }

    /// <summary>A nested nft_data holding NFTA_DATA_VALUE.</summary>
    private static void Data(ref NlWriter w, ushort type, scoped ReadOnlySpan<byte> value)
    {
        var d = w.BeginNested(type);
        w.Bytes(1, value); // NFTA_DATA_VALUE
        w.EndNested(d);
    }

    // ---- answers -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads the kernel's answers to a batch: every NLMSG_ERROR message gives (sequence, errno; 0 = ACK).
    /// Never throws; a malformed datagram ends the walk.
    /// </summary>
    public static void ParseAnswers(ReadOnlySpan<byte> datagram, List<(uint Sequence, int Error)> answers)
    {
        while (datagram.Length >= 16)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
            if (length < 16 || length > datagram.Length) return;
            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
            if (type == NLMSG_ERROR && length >= 16 + 4 + 16)
            {
                var error = BinaryPrimitives.ReadInt32LittleEndian(datagram[16..]);
                var seq = BinaryPrimitives.ReadUInt32LittleEndian(datagram[(20 + 8)..]);
                answers.Add((seq, error));
            }
            datagram = datagram[Math.Min(datagram.Length, (length + 3) & ~3)..];
        }
    }
}

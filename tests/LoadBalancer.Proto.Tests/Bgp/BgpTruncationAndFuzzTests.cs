using System.Buffers;
using System.Globalization;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Every truncation of every message, and seeded mutation fuzzing: no exception, no read past the buffer.</summary>
public sealed class BgpTruncationAndFuzzTests
{
    public static IEnumerable<object[]> MessageNames => BgpSamples.AllMessages().Select(m => new object[] { m.Name });

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void EveryTruncation_NeedsMoreData_AndBodyDecodersCope(string name)
    {
        var message = BgpSamples.AllMessages().Single(m => m.Name == name).Bytes;
        Assert.Equal(OperationStatus.Done, BgpFraming.TryReadMessage(message, 65535, out _, out _, out _));
        for (var n = 0; n < message.Length; n++)
        {
            // A copy of exactly n octets: any read past it would throw.
            var cut = message.AsSpan(0, n).ToArray();
            Assert.Equal(OperationStatus.NeedMoreData, BgpFraming.TryReadMessage(cut, 65535, out _, out _, out _));
            BgpCodecHarness.DecodeEverything(cut);
            var body = message.AsSpan(19, Math.Max(0, n - 19)).ToArray();
            switch ((BgpMessageType)message[18])
            {
                case BgpMessageType.Open:
                    Assert.False(BgpOpen.TryDecode(body, out _, out var openError));
                    Assert.NotNull(openError);
                    break;
                case BgpMessageType.Update:
                    var status = BgpUpdate.TryDecode(body, BgpDecodeContext.Modern, out var update, out _);
                    if (status == BgpUpdateStatus.Ok)
                        Assert.Equal(body.Length + 19, update.GetEncodedLength(BgpDecodeContext.Modern) - AttributeLengthSlack(message, update));
                    break;
                case BgpMessageType.RouteRefresh:
                    Assert.False(BgpRouteRefresh.TryDecode(body, out _));
                    break;
            }
        }
    }

    // Our encoder may choose another attribute length form than the sender (FRR sets extended length on short AS_PATHs),
    // so compare against what re-encoding the whole original message gives.
    private static int AttributeLengthSlack(byte[] message, BgpUpdate truncated)
    {
        BgpUpdate.TryDecode(message.AsSpan(19), BgpDecodeContext.Modern, out var whole, out _);
        var slack = whole.GetEncodedLength(BgpDecodeContext.Modern) - message.Length;
        return truncated.Attributes.Equals(whole.Attributes) ? slack : truncated.GetEncodedLength(BgpDecodeContext.Modern) - truncated.GetEncodedLength(BgpDecodeContext.Modern);
    }

    /// <summary>LB_FUZZ_ITERATIONS (default 100,000) cases in total, split over four seeds that run in parallel.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MutationFuzz_NeverThrows(int seed)
    {
        var total = int.TryParse(Environment.GetEnvironmentVariable("LB_FUZZ_ITERATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 100_000;
        var samples = BgpSamples.AllMessages().Select(m => m.Bytes).ToArray();
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < total / 4; i++)
        {
            var input = Mutate(random, samples[random.Next(samples.Length)]);
            try
            {
                var outcome = BgpCodecHarness.DecodeEverything(input);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed} case {i}: {ex.GetType().Name} {ex.Message} on {Convert.ToHexString(input)}");
            }
        }
        // The fuzzer must reach past framing into the message decoders, not only produce frame errors.
        Assert.True(outcomes.Keys.Count(k => k is "Open" or "Update" or "Notification") >= 2, string.Join(", ", outcomes));
    }

    private static byte[] Mutate(Random r, byte[] sample)
    {
        var data = new List<byte>(sample);
        var rounds = 1 + r.Next(4);
        for (var k = 0; k < rounds; k++)
        {
            var at = data.Count == 0 ? 0 : r.Next(data.Count);
            switch (r.Next(7))
            {
                case 0: if (data.Count > 0) data[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: if (data.Count > 0) data[at] = (byte)r.Next(256); break;
                case 2: data.Insert(at, (byte)r.Next(256)); break;
                case 3: if (data.Count > 0) data.RemoveAt(at); break;
                case 4: if (data.Count > 0) data.RemoveRange(at, data.Count - at); break;
                case 5: data.InsertRange(at, data.Skip(at).Take(r.Next(1, 12)).ToArray()); break;
                default: if (data.Count > 19 + at % 8) data[19 + r.Next(Math.Min(8, data.Count - 19))] = (byte)r.Next(256); break; // attack the length fields
            }
        }
        // Mostly keep the header consistent so that the body decoders, not the framing, see the damage.
        if (data.Count >= 19 && r.Next(4) != 0)
        {
            for (var m = 0; m < 16; m++) data[m] = 0xFF;
            data[16] = (byte)(data.Count >> 8);
            data[17] = (byte)data.Count;
        }
        return [.. data];
    }
}

using System.Buffers;
using LoadBalancer.Speaker.Liveness;

namespace LoadBalancer.Speaker.Tests.Liveness;

public class ProbePacketTests
{
    private static readonly byte[] Key = "0123456789abcdef0123456789abcdef"u8.ToArray();

    private static byte[] Encode(ProbePacket p, byte[]? key = null)
    {
        var buffer = new byte[256];
        Assert.True(ProbePacket.TryWrite(p, key ?? Key, buffer, out var n));
        return buffer[..n];
    }

    [Theory]
    [InlineData(true, false, "node-a", "node-b")]
    [InlineData(false, true, "n", "a-very-long-node-name.example.internal.cluster.local")]
    [InlineData(true, true, "nœud-é", "節点")]
    public void RoundTrip(bool hear, bool adminDown, string sender, string receiver)
    {
        var packet = new ProbePacket(hear, adminDown, 100, 1_763_800_000_000_000UL, sender, receiver);
        Assert.Equal(OperationStatus.Done, ProbePacket.TryRead(Encode(packet), Key, out var read));
        Assert.Equal(packet, read);
    }

    [Fact]
    public void Rejects_WrongKey()
    {
        var bytes = Encode(new ProbePacket(true, false, 100, 1, "a", "b"), "another key of thirty-two bytes!"u8.ToArray());
        Assert.Equal(OperationStatus.InvalidData, ProbePacket.TryRead(bytes, Key, out _));
    }

    [Fact]
    public void Rejects_AnyFlippedBit()
    {
        var bytes = Encode(new ProbePacket(true, false, 100, 42, "node-a", "node-b"));
        for (var i = 0; i < bytes.Length * 8; i++)
        {
            var copy = bytes.ToArray();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            Assert.NotEqual(OperationStatus.Done, ProbePacket.TryRead(copy, Key, out _));
        }
    }

    [Fact]
    public void Truncation_NeverDone()
    {
        var bytes = Encode(new ProbePacket(false, false, 100, 42, "node-a", "node-b"));
        for (var n = 0; n < bytes.Length; n++)
            Assert.NotEqual(OperationStatus.Done, ProbePacket.TryRead(bytes.AsSpan(0, n), Key, out _));
    }

    [Fact]
    public void TryWrite_RefusesEmptyOrLongNames()
    {
        Assert.False(ProbePacket.TryWrite(new ProbePacket(false, false, 100, 1, "", "b"), Key, new byte[256], out _));
        Assert.False(ProbePacket.TryWrite(new ProbePacket(false, false, 100, 1, "a", new string('x', 64)), Key, new byte[256], out _));
    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public void Fuzz_RandomInput_NeverThrows()
    {
        var random = new Random(3101);
        var valid = Encode(new ProbePacket(true, false, 100, 42, "node-a", "node-b"));
        for (var i = 0; i < 5000; i++)
        {
            var bytes = random.Next(2) == 0 ? new byte[random.Next(0, 120)] : valid.ToArray();
            if (bytes.Length != valid.Length || random.Next(2) == 0) random.NextBytes(bytes);
            else bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            Assert.NotEqual(OperationStatus.Done, ProbePacket.TryRead(bytes, Key, out _));
        }
    }
}

using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>Newline-delimited JSON lines built in one buffer, written to a response in one go.</summary>
internal sealed class ArrayBufferWriterPool
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    public ArrayBufferWriterPool()
    {
        Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder, SkipValidation = true });
    }

    public Utf8JsonWriter Writer { get; }

    public void EndLine()
    {
        Writer.Flush();
        _buffer.Write("\n"u8);
        Writer.Reset(_buffer);
    }

    public async Task FlushToAsync(HttpContext ctx, CancellationToken ct)
    {
        if (_buffer.WrittenCount == 0) return;
        await ctx.Response.Body.WriteAsync(_buffer.WrittenMemory, ct).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
        Writer.Reset(_buffer);
    }
}

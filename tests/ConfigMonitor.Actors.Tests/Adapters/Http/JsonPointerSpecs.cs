using System.Text.Json;
using ConfigMonitor.Actors.Adapters.Http;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

public sealed class JsonPointerSpecs
{
    private static readonly JsonElement Document = JsonDocument.Parse("""{"a":{"b/c":[10,{"m~n":"deep"}]},"":"empty","n":null,"t":true}""").RootElement;

    [Theory]
    [InlineData("/a/b~1c/0", "10")]
    [InlineData("/a/b~1c/1/m~0n", "deep")]
    [InlineData("/", "empty")]
    [InlineData("/t", "true")]
    [InlineData("/n", null)]
    public void Should_resolve_RFC_6901_pointers_to_config_text(string pointer, string? text)
    {
        Assert.True(JsonPointer.TryResolve(Document, pointer, out var found));
        Assert.Equal(text, JsonPointer.AsText(found));
    }

    [Theory]
    [InlineData("/missing")]
    [InlineData("/a/b~1c/2")]
    [InlineData("/a/b~1c/01")]
    [InlineData("/a/b~1c/-")]
    [InlineData("/t/x")]
    [InlineData("a")]
    public void Should_name_nothing_for_a_missing_member_index_or_malformed_pointer(string pointer) =>
        Assert.False(JsonPointer.TryResolve(Document, pointer, out _));

    [Fact]
    public void Should_name_the_whole_document_with_the_empty_pointer()
    {
        Assert.True(JsonPointer.TryResolve(Document, "", out var found));
        Assert.Equal(JsonValueKind.Object, found.ValueKind);
    }
}

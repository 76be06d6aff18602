using ConfigMonitor.Actors.Adapters.Http;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

public sealed class ServerSentEventParserSpecs
{
    private static List<ServerSentItem> Parse(string stream, int chunk = int.MaxValue, int maxLine = 1024)
    {
        var parser = new ServerSentEventParser(maxLine);
        var items = new List<ServerSentItem>();
        for (var i = 0; i < stream.Length; i += chunk) parser.Feed(stream.AsSpan(i, Math.Min(chunk, stream.Length - i)), items);
        return items;
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Should_read_events_and_comments_with_any_line_end_even_split_across_chunks(string end)
    {
        var stream = $": subscribed 7{end}{end}event: change{end}id: 3{end}data: {{\"a\":1}}{end}{end}: keep-alive{end}{end}";

        foreach (var chunk in new[] { int.MaxValue, 1, 2, 5 })
            Assert.Equal(
                [new ServerSentComment("subscribed 7"), new ServerSentEvent("change", "{\"a\":1}", "3"), new ServerSentComment("keep-alive")],
                Parse(stream, chunk));
    }

    [Fact]
    public void Should_join_data_lines_with_LF_and_keep_spaces_after_the_first()
    {
        var items = Parse("data: first\ndata:second\ndata:  third\ndata\n\n");

        Assert.Equal([new ServerSentEvent("message", "first\nsecond\n third\n", null)], items);
    }

    [Fact]
    public void Should_not_dispatch_an_event_without_data_and_reset_its_type()
    {
        var items = Parse("event: change\n\ndata: x\n\n");

        Assert.Equal([new ServerSentEvent("message", "x", null)], items);
    }

    [Fact]
    public void Should_keep_the_last_event_id_across_events_and_ignore_one_with_NUL()
    {
        var items = Parse("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid\ndata: c\n\n");

        Assert.Equal([new ServerSentEvent("message", "a", "1"), new ServerSentEvent("message", "b", "1"), new ServerSentEvent("message", "c", "")], items);
    }

    [Fact]
    public void Should_drop_a_leading_BOM_unknown_fields_and_retry()
    {
        var items = Parse("\uFEFFretry: 1000\nfoo: bar\ndata: x\n\n");

        Assert.Equal([new ServerSentEvent("message", "x", null)], items);
    }

    [Fact]
    public void Should_not_dispatch_an_event_the_stream_ended_in_the_middle_of()
    {
        Assert.Empty(Parse("event: change\ndata: half"));
        Assert.Empty(Parse("event: change\ndata: half\n"));
    }

    [Fact]
    public void Should_refuse_a_line_longer_than_the_bound()
    {
        Assert.Throws<InvalidDataException>(() => Parse("data: " + new string('x', 100), maxLine: 50));
        Assert.Throws<InvalidDataException>(() => Parse(string.Concat(Enumerable.Repeat("data: 0123456789\n", 10)), maxLine: 50));
    }
}

using System.Net;
using ConfigMonitor.ConfigService.Http;

namespace ConfigMonitor.ConfigService.Tests.Http;

/// <summary>Who may write and inject faults: the decision function for every class of client, and the token path over HTTP.</summary>
public sealed class FaultGuardSpecs
{
    private const string Token = "s3cret-fault-token";

    [Theory]
    [InlineData("127.0.0.1", null, null)]
    [InlineData("127.8.9.10", null, null)]
    [InlineData("::1", null, null)]
    [InlineData("::ffff:127.0.0.1", null, null)]
    [InlineData("127.0.0.1", null, Token)]
    [InlineData("127.0.0.1", "Bearer anything", null)]
    [InlineData("10.0.0.5", "Bearer " + Token, Token)]
    [InlineData("10.0.0.5", "bearer " + Token, Token)]
    [InlineData("2001:db8::5", "Bearer  " + Token + " ", Token)]
    public void Should_allow(string remote, string? authorization, string? token)
    {
        var decision = FaultGuard.Decide(IPAddress.Parse(remote), authorization, token);

        Assert.True(decision.Allowed, decision.Reason);
    }

    [Theory]
    [InlineData("10.0.0.5", null, null, "only from loopback")]
    [InlineData("10.0.0.5", "Bearer " + Token, null, "only from loopback")]
    [InlineData("::ffff:10.0.0.5", null, null, "only from loopback")]
    [InlineData("10.0.0.5", null, Token, "need 'Authorization: Bearer <token>'")]
    [InlineData("10.0.0.5", "Bearer wrong-token", Token, "the bearer token was refused")]
    [InlineData("10.0.0.5", "Bearer " + Token + "x", Token, "the bearer token was refused")]
    [InlineData("10.0.0.5", "Basic dXNlcjpwYXNz", Token, "is not 'Bearer <token>'")]
    [InlineData("127.0.0.1", "Bearer wrong-token", Token, "the bearer token was refused")]
    public void Should_refuse_with_a_reason(string remote, string? authorization, string? token, string reason)
    {
        var decision = FaultGuard.Decide(IPAddress.Parse(remote), authorization, token);

        Assert.False(decision.Allowed);
        Assert.Contains(reason, decision.Reason);
        Assert.Contains("ConfigService:FaultToken", decision.Reason);
        Assert.DoesNotContain(Token, decision.Reason);
    }

    [Fact]
    public void Should_refuse_a_client_of_unknown_address_without_a_token()
    {
        var decision = FaultGuard.Decide(null, null, Token, "Demo:FaultToken");

        Assert.False(decision.Allowed);
        Assert.Contains("unknown address", decision.Reason);
        Assert.Contains("Demo:FaultToken", decision.Reason);
    }

    [Fact]
    public async Task Should_refuse_a_wrong_token_and_accept_the_right_one_over_HTTP()
    {
        await using var server = await ReferenceServiceServer.StartAsync(new ReferenceServiceHttpOptions { FaultToken = Token });

        using var wrongFault = await server.PostJsonAsync("/faults/drop-events", """{"drop":true}""", bearer: "wrong-token");
        using var wrongWrite = await server.PutJsonAsync("/config/app.name", """{"value":"x"}""", bearer: "wrong-token");
        var (_, faultsAfterRefusal) = await server.GetJsonAsync("/faults");
        using var rightFault = await server.PostJsonAsync("/faults/drop-events", """{"drop":true}""", bearer: Token);
        using var rightWrite = await server.PutJsonAsync("/config/app.name", """{"value":"x"}""", bearer: Token);
        using var openRead = await server.SendAsync(HttpMethod.Get, "/config/app.name", null, bearer: "wrong-token");

        Assert.Equal(403, (int)wrongFault.StatusCode);
        var refusal = await ReferenceServiceServer.JsonAsync(wrongFault);
        Assert.Contains("the bearer token was refused", refusal.GetProperty("error").GetString());
        Assert.DoesNotContain("wrong-token", refusal.GetRawText());
        Assert.Equal(403, (int)wrongWrite.StatusCode);
        Assert.False(faultsAfterRefusal.GetProperty("dropEvents").GetBoolean());
        Assert.Equal(200, (int)rightFault.StatusCode);
        Assert.Equal(200, (int)rightWrite.StatusCode);
        Assert.Equal(200, (int)openRead.StatusCode); // reads are open, whatever the header says
    }
}

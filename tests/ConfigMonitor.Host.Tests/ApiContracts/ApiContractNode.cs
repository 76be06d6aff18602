using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>
/// One real node for the API contract specs, like <see cref="ApiNode"/>, whose HTTP JSON options also record every type
/// the API serializes (hooked before the node starts, while the options can still be changed): the proof that no route
/// answers with a stored or cross-node record.
/// </summary>
public sealed class ApiContractNode : IAsyncLifetime
{
    private readonly TempDirectory _data = TempDirectory.ForNode();
    private readonly AsyncLocal<bool> _quiet = new();

    /// <summary>The answers of every route of this node, walked once (<see cref="ApiJsonContractSpecs.WalkRoutesAsync"/>): golden name → shape.</summary>
    public Lazy<Task<IReadOnlyDictionary<string, string>>> RouteShapes { get; }

    /// <summary>A node whose routes are walked at most once.</summary>
    public ApiContractNode() => RouteShapes = new(() => ApiJsonContractSpecs.WalkRoutesAsync(this));

    /// <summary>Serializations inside the returned scope (a spec's own, not a route's) are not recorded.</summary>
    public IDisposable NotRecorded()
    {
        _quiet.Value = true;
        return new Scope(() => _quiet.Value = false);
    }

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    /// <summary>Every type the API's JSON options made a contract for (each type met while serializing a response, nested ones too).</summary>
    public ConcurrentDictionary<Type, bool> SerializedTypes { get; } = new();

    /// <summary>The running node.</summary>
    public WebApplication App { get; private set; } = null!;

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>A client with the token.</summary>
    public HttpClient Operator { get; private set; } = null!;

    /// <summary>The API's JSON options, as every route writes with them.</summary>
    public JsonSerializerOptions Json => App.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

    public async Task InitializeAsync()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Api:Token"] = ApiNode.Token;
        App = await TestNode.BuildAsync(settings);
        var json = Json;
        json.TypeInfoResolver = (json.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(info =>
        {
            if (!_quiet.Value) SerializedTypes[info.Type] = true;
        });
        await App.StartAsync();
        Anonymous = App.ApiClient();
        Operator = App.ApiClient(ApiNode.Token);
        await ApiNode.WaitForDemoSamplesAsync(Anonymous);
    }

    public async Task DisposeAsync()
    {
        Anonymous.Dispose();
        Operator.Dispose();
        await App.StopWithinAsync(TestNode.StopTimeout);
        await App.DisposeAsync();
        _data.Dispose();
    }
}

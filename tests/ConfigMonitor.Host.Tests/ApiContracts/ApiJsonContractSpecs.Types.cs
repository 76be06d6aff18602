using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Host.Api;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>
/// The API answers and reads only its own records: what a real node's routes serialized (recorded by its JSON options while
/// every route is walked), and every record of ConfigMonitor.Host.Api by reflection, must mention no type of ConfigMonitor.Actors.
/// </summary>
public sealed partial class ApiJsonContractSpecs
{
    [Fact]
    public async Task Should_serialize_no_stored_or_cross_node_record_in_any_answer_of_any_route()
    {
        await node.RouteShapes.Value;
        var actors = typeof(ConfigMonitor.Actors.Protocol.IConfigMonitorMessage).Assembly;
        var leaked = node.SerializedTypes.Keys.Where(t => ContractTypes.Mentions(t, actors)).Select(ContractTypes.Name).Order().ToList();
        Assert.True(node.SerializedTypes.Keys.Any(t => t.Namespace == typeof(ManagementApi).Namespace), "the recorder should have seen the API's own records");
        Assert.True(leaked.Count == 0, "the API wrote these types of ConfigMonitor.Actors (stored events and cross-node messages) as its JSON; " +
            "map them to view records in ConfigMonitor.Host.Api instead: " + string.Join(", ", leaked));
    }

    [Fact]
    public void Should_build_every_view_and_request_record_of_the_api_from_its_own_types_only()
    {
        var actors = typeof(ConfigMonitor.Actors.Protocol.IConfigMonitorMessage).Assembly;
        var records = typeof(ManagementApi).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == typeof(ManagementApi).Namespace && ContractTypes.IsRecord(t)).ToList();
        Assert.Contains(typeof(Page<>), records);
        var leaks = records.SelectMany(r => ContractTypes.PropertiesOf(r).Where(p => ContractTypes.Mentions(p.PropertyType, actors))
            .Select(p => $"{ContractTypes.Name(r)}.{p.Name} is {ContractTypes.Name(p.PropertyType)}")).ToList();
        Assert.True(leaks.Count == 0, "these API records hold stored or message types of ConfigMonitor.Actors: " + string.Join("; ", leaks));
    }

    [Fact]
    public void Should_give_every_value_of_the_library_enums_an_api_word()
    {
        Assert.All(Enum.GetValues<AlertCategory>(), v => Assert.Matches("^[a-z_]+$", ApiViews.Name(v)));
        Assert.All(Enum.GetValues<AlertSeverity>(), v => Assert.Matches("^[a-z_]+$", ApiViews.Name(v)));
        Assert.All(Enum.GetValues<AlertState>(), v => Assert.Matches("^[a-z_]+$", ApiViews.Name(v)));
        Assert.All(Enum.GetValues<MatchField>(), v => Assert.Matches("^[a-z_]+$", ApiViews.Name(v)));
        Assert.All(Enum.GetValues<HealthState>(), v => Assert.Matches("^[a-z_]+$", ApiViews.Name(v)));
    }
}

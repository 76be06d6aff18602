using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host.Api;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// The API's input classes against one real node over HTTP: every string field of every request body at its limit and one
/// past it (found by reflection), wrong JSON kinds, bodies over 64 KiB, long route ids, durations, and paged lists.
/// A refused request answers a 4xx problem naming the field and changes nothing.
/// </summary>
public sealed class ApiInputLimitSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One string field of a request body: its JSON path, its limit, and how to build a body with a value in it.</summary>
    private sealed record StringField(string Route, Type Body, string Path, int Limit, Func<string, JsonObject> Build);

    /// <summary>Every string field (and every list of strings or matchers) of every request body, by reflection over <see cref="ApiRequests.Bodies"/>.</summary>
    private static IEnumerable<StringField> StringFields()
    {
        foreach (var (route, type) in ApiRequests.Bodies)
            foreach (var field in FieldsOf(type, "", value => Valid(type)))
                yield return field with { Route = route, Body = type };
    }

    private static IEnumerable<StringField> FieldsOf(Type type, string prefix, Func<string, JsonObject> root)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
            var path = prefix + name;
            var limit = property.GetCustomAttribute<TextLimitAttribute>()?.MaxLength;
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (t == typeof(string))
            {
                Assert.True(limit is not null, $"{type.Name}.{property.Name} is a string without [TextLimit]");
                yield return new StringField("", type, path, limit!.Value, value => Set(root(value), path, JsonValue.Create(value)));
            }
            else if (t == typeof(IReadOnlyList<string>))
            {
                Assert.True(limit is not null, $"{type.Name}.{property.Name} is a list of strings without [TextLimit]");
                yield return new StringField("", type, path + "[0]", limit!.Value, value => Set(root(value), path, new JsonArray(JsonValue.Create(value))));
            }
            else if (t == typeof(IReadOnlyList<MatcherInput>))
                yield return new StringField("", type, path + "[0]", TextLimits.Matcher, value => Set(root(value), path, new JsonArray(JsonValue.Create(value))));
            else if (t.IsClass && t.Namespace == typeof(ApiRequests).Namespace)
                foreach (var nested in FieldsOf(t, path + ".", root)) yield return nested;
        }
    }

    /// <summary>A body the API accepts, to change one field of.</summary>
    private static JsonObject Valid(Type type) => type.Name switch
    {
        nameof(AcknowledgeRequest) => new JsonObject { ["by"] = "limits", ["comment"] = "checking limits" },
        nameof(UnacknowledgeRequest) => new JsonObject { ["by"] = "limits" },
        nameof(SilenceRequest) => new JsonObject { ["matchers"] = new JsonArray("target=limits-none"), ["duration"] = "1h", ["createdBy"] = "limits", ["comment"] = "c" },
        nameof(MaintenanceWindowRequest) => new JsonObject
        {
            ["name"] = "limits", ["matchers"] = new JsonArray("target=limits-none"), ["createdBy"] = "limits",
            ["recurrence"] = new JsonObject { ["days"] = new JsonArray("monday"), ["startTime"] = "02:00", ["duration"] = "1h", ["timeZone"] = "UTC" },
        },
        _ => throw new InvalidOperationException($"no valid sample body for {type.Name}: add one"),
    };

    private static JsonObject Set(JsonObject body, string path, JsonNode value)
    {
        var parts = path.Split('.');
        var current = body;
        foreach (var part in parts[..^1]) current = (JsonObject)current[part]!;
        current[parts[^1]] = value;
        return body;
    }

    /// <summary>A value of exactly <paramref name="length"/> characters that is still valid for the field.</summary>
    private static string ValidOfLength(string path, int length) => path switch
    {
        "matchers[0]" => "target=" + new string('m', length - "target=".Length),
        "duration" or "recurrence.duration" => "1h".PadLeft(length),
        "recurrence.days[0]" => "wednesday".PadRight(length)[..length] is var day && day.Trim() == "wednesday" ? day : "wednesday",
        "recurrence.startTime" => "02:00:00"[..Math.Min(8, length)],
        "recurrence.timeZone" => "UTC".PadLeft(length),
        _ => new string('v', length),
    };

    [Fact]
    public async Task Should_refuse_one_character_past_the_limit_in_every_string_field_of_every_request_body_and_change_nothing()
    {
        var alertId = await RaiseAlertAsync("limits");
        var fields = StringFields().ToList();
        Assert.Contains(fields, f => f.Path == "comment");
        Assert.Contains(fields, f => f.Path == "recurrence.timeZone");
        foreach (var field in fields)
        {
            var before = await ListingsAsync();
            var body = field.Build(new string('x', field.Limit + 1));
            var problem = await Problem(await PostAsync(Path(field.Route, alertId), body), HttpStatusCode.BadRequest);
            Assert.Contains($"field '{field.Path}' is {field.Limit + 1} characters long; the limit is {field.Limit}", problem.GetProperty("detail").GetString());
            Assert.Equal(before, await ListingsAsync());
        }
    }

    [Fact]
    public async Task Should_accept_exactly_the_limit_in_every_string_field_of_every_request_body()
    {
        var alertId = await RaiseAlertAsync("limits-exact");
        foreach (var field in StringFields())
        {
            var value = ValidOfLength(field.Path, field.Limit);
            var response = await PostAsync(Path(field.Route, alertId), field.Build(value));
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("characters long", text);
            // Free text and matchers fill the whole limit and are accepted; grammar fields are accepted at their longest valid form.
            Assert.True(response.IsSuccessStatusCode, $"{field.Route} {field.Path} at {value.Length} characters: {(int)response.StatusCode} {text}");
        }
    }

    [Fact]
    public async Task Should_name_every_field_given_the_wrong_json_kind()
    {
        var alertId = await RaiseAlertAsync("kinds");
        var before = await ListingsAsync();
        foreach (var field in StringFields())
            foreach (var wrong in new JsonNode?[] { JsonValue.Create(5), JsonValue.Create(true), new JsonObject { ["a"] = 1 } })
            {
                var body = field.Build("placeholder");
                var parts = field.Path.Replace("[0]", "").Split('.');
                JsonObject parent = body;
                foreach (var part in parts[..^1]) parent = (JsonObject)parent[part]!;
                if (field.Path.EndsWith("[0]", StringComparison.Ordinal)) parent[parts[^1]] = new JsonArray(wrong?.DeepClone());
                else parent[parts[^1]] = wrong?.DeepClone();
                // A matcher may be an object (its object form); a wrong object is named by its inner field.
                if (field.Path == "matchers[0]" && wrong is JsonObject) continue;
                var problem = await Problem(await PostAsync(Path(field.Route, alertId), body), HttpStatusCode.BadRequest);
                Assert.Contains($"field '{field.Path}' must be", problem.GetProperty("detail").GetString());
            }
        var unknown = await Problem(await PostAsync($"/api/alerts/{alertId}/ack", new JsonObject { ["bye"] = "x" }), HttpStatusCode.BadRequest);
        Assert.Contains("field 'bye' is not a field of this request (it takes: by, comment)", unknown.GetProperty("detail").GetString());
        var notList = await Problem(await PostAsync("/api/silences", new JsonObject { ["matchers"] = "target=x", ["duration"] = "1h" }), HttpStatusCode.BadRequest);
        Assert.Contains("field 'matchers' must be a JSON list", notList.GetProperty("detail").GetString());
        var tooMany = await Problem(await PostAsync("/api/silences", new JsonObject
        {
            ["matchers"] = new JsonArray(Enumerable.Range(0, TextLimits.MatchersPerRule + 1).Select(i => (JsonNode)JsonValue.Create($"target=t{i}")!).ToArray()),
            ["duration"] = "1h",
        }), HttpStatusCode.BadRequest);
        Assert.Contains($"field 'matchers' has {TextLimits.MatchersPerRule + 1} items; the limit is {TextLimits.MatchersPerRule}", tooMany.GetProperty("detail").GetString());
        Assert.Equal(before, await ListingsAsync());
    }

    [Fact]
    public async Task Should_refuse_a_target_whose_text_or_duration_fields_are_not_json_strings_naming_the_field()
    {
        var before = await ListingsAsync();
        var cases = new (JsonObject Body, string Field)[]
        {
            (new JsonObject { ["id"] = 5, ["endpoint"] = "/user/config-service-demo" }, "Id"),
            (new JsonObject { ["id"] = "kinds-a", ["endpoint"] = true }, "Endpoint"),
            (new JsonObject { ["id"] = "kinds-b", ["endpoint"] = "/user/config-service-demo", ["probeKey"] = new JsonObject() }, "ProbeKey"),
            (new JsonObject { ["id"] = "kinds-c", ["endpoint"] = "/user/config-service-demo", ["probeTimeout"] = 5 }, "ProbeTimeout"),
            (new JsonObject { ["id"] = "kinds-d", ["endpoint"] = "/user/config-service-demo", ["performance"] = new JsonObject { ["interval"] = 30 } }, "Performance:Interval"),
            (new JsonObject { ["id"] = "kinds-e", ["endpoint"] = "/user/config-service-demo", ["performance"] = "fast" }, "Performance"),
            (new JsonObject { ["id"] = "kinds-f", ["endpoint"] = "/user/config-service-demo", ["cache"] = new JsonObject { ["minHitRate"] = new JsonArray(1) } }, "Cache:MinHitRate"),
        };
        foreach (var (body, field) in cases)
        {
            var problem = await Problem(await PostAsync("/api/targets", body), HttpStatusCode.BadRequest);
            Assert.Contains($"field '{field}' must be", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await ListingsAsync());

        // Numbers may be JSON numbers or numeric strings.
        var ok = await PostAsync("/api/targets", new JsonObject
        {
            ["id"] = "kinds-ok", ["endpoint"] = "/user/config-service-demo", ["performance"] = new JsonObject { ["interval"] = "30s", ["accessTimeThresholdMs"] = 75 },
            ["cache"] = new JsonObject { ["minHitRate"] = "0.5" },
        });
        Assert.True(ok.StatusCode == HttpStatusCode.Created, await ok.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync("/api/targets/kinds-ok")).StatusCode);
    }

    [Theory]
    [InlineData("content-length")]
    [InlineData("chunked")]
    public async Task Should_answer_413_with_a_problem_for_a_body_over_64_KiB_and_stay_up(string framing)
    {
        var before = await ListingsAsync();
        foreach (var size in new[] { TextLimits.RequestBodyBytes + 1, 4 * TextLimits.RequestBodyBytes })
        {
            var json = "{\"by\":\"x\",\"comment\":\"" + new string('c', size) + "\"}";
            foreach (var route in new[] { "/api/targets", "/api/silences", "/api/alerts/alert-1/ack", "/api/maintenance-windows" })
            {
                HttpContent content = framing == "chunked"
                    ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)))
                    : new StringContent(json, Encoding.UTF8, "application/json");
                content.Headers.ContentType = new("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
                if (framing == "chunked") request.Headers.TransferEncodingChunked = true;
                var problem = await Problem(await node.Operator.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
                Assert.Contains($"{TextLimits.RequestBodyBytes} bytes", problem.GetProperty("detail").GetString());
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(before, await ListingsAsync());

        // Just under the limit is read (and judged on its content).
        var under = "{\"by\":\"x\",\"comment\":\"" + new string('c', TextLimits.RequestBodyBytes - 40) + "\"}";
        var read = await Problem(await node.Operator.PostAsync("/api/alerts/alert-1/ack", new StringContent(under, Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest);
        Assert.Contains("field 'comment' is", read.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Should_answer_413_at_once_to_a_huge_announced_body_without_reading_it()
    {
        // HttpClient cannot read an answer while it is still sending, so this speaks HTTP on a socket: 20 MB announced, 1 KB sent.
        using var socket = new System.Net.Sockets.TcpClient();
        var address = node.App.ApiAddress();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        var head = $"POST /api/silences HTTP/1.1\r\nHost: {address.Host}\r\nAuthorization: Bearer {ApiNode.Token}\r\n" +
                   "Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{\"comment\":\"" + new string('c', 1000);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 413", answer);
        Assert.Contains("application/problem+json", answer);
        Assert.Contains($"{TextLimits.RequestBodyBytes} bytes", answer);
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Should_refuse_route_ids_longer_than_the_id_limit_before_any_actor_sees_them()
    {
        var before = await ListingsAsync();
        var longId = new string('i', TextLimits.Id + 1);
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/api/alerts/{longId}"), (HttpMethod.Post, $"/api/alerts/{longId}/ack"), (HttpMethod.Post, $"/api/alerts/{longId}/unack"),
                     (HttpMethod.Delete, $"/api/silences/{longId}"), (HttpMethod.Delete, $"/api/maintenance-windows/{longId}"),
                     (HttpMethod.Get, $"/api/targets/{longId}"), (HttpMethod.Delete, $"/api/targets/{longId}"), (HttpMethod.Get, $"/api/targets/{longId}/metrics"),
                     (HttpMethod.Get, $"/api/targets/demo/metrics/{longId}/recent"), (HttpMethod.Get, $"/api/targets/demo/metrics/{longId}/summary"),
                 })
        {
            var problem = await Problem(await node.Operator.SendAsync(new HttpRequestMessage(method, path)), HttpStatusCode.BadRequest);
            Assert.Contains($"is {TextLimits.Id + 1} characters long; the limit is {TextLimits.Id}", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await ListingsAsync());
    }

    [Fact]
    public async Task Should_print_every_duration_of_a_target_in_the_grammar_so_it_parses_back()
    {
        var targets = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets");
        var durations = 0;
        foreach (var target in targets.GetProperty("items").EnumerateArray())
        {
            var definition = target.GetProperty("definition");
            foreach (var (path, text) in Strings(definition, ""))
            {
                var name = path.Split('.')[^1];
                if (name is not ("interval" or "probeTimeout" or "timeout")) continue;
                durations++;
                Assert.True(Durations.TryParse(text, out var span), $"{path} is '{text}', which the grammar does not read");
                Assert.Equal(text, Durations.Format(span));
            }
        }
        Assert.True(durations >= 6, "the demo target has six durations");
        var demo = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo");
        Assert.Equal("1s", demo.GetProperty("definition").GetProperty("performance").GetProperty("interval").GetString());
        // Unset, the probe timeout follows the shortest loop interval (1s on the test node) below the 5s default.
        Assert.Equal("1s", demo.GetProperty("definition").GetProperty("probeTimeout").GetString());
    }

    [Fact]
    public async Task Should_refuse_bad_durations_in_query_strings_and_bodies_with_400_naming_them_never_500()
    {
        var before = await ListingsAsync();
        foreach (var window in new[] { "10", "99999999999d", "-5m", "30s", "2d", "soon", "1h30", new string('9', 50) })
        {
            var problem = await Problem(await node.Anonymous.GetAsync($"/api/targets/demo/metrics/config_access_ms/summary?window={Uri.EscapeDataString(window)}"),
                HttpStatusCode.BadRequest);
            Assert.StartsWith("parameter 'window' is '", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync("/api/targets/demo/metrics/config_access_ms/summary?window=24h")).StatusCode);

        foreach (var duration in new[] { "10", "99999999999d", "-1h", "30s", "366d", "0s", "soon" })
        {
            var problem = await Problem(await PostAsync("/api/silences", new JsonObject { ["matchers"] = new JsonArray("target=x"), ["duration"] = duration }),
                HttpStatusCode.BadRequest);
            Assert.StartsWith("field 'duration' is '", problem.GetProperty("detail").GetString());
        }
        var now = DateTimeOffset.UtcNow;
        var tooLong = await Problem(await PostAsync("/api/silences", new JsonObject
        {
            ["matchers"] = new JsonArray("target=x"), ["startsAt"] = now.ToString("O"), ["endsAt"] = now.AddDays(366).ToString("O"),
        }), HttpStatusCode.BadRequest);
        Assert.Contains("the longest allowed is 365d", tooLong.GetProperty("detail").GetString());
        var backwards = await Problem(await PostAsync("/api/silences", new JsonObject
        {
            ["matchers"] = new JsonArray("target=x"), ["startsAt"] = now.AddHours(2).ToString("O"), ["endsAt"] = now.AddHours(1).ToString("O"),
        }), HttpStatusCode.BadRequest);
        Assert.Contains("which is not after 'startsAt'", backwards.GetProperty("detail").GetString());
        var badDate = await Problem(await PostAsync("/api/silences", new JsonObject { ["matchers"] = new JsonArray("target=x"), ["endsAt"] = "tomorrow" }),
            HttpStatusCode.BadRequest);
        Assert.Contains("field 'endsAt' is not a date and time", badDate.GetProperty("detail").GetString());

        foreach (var (startTime, duration, field) in new[]
                 {
                     ("2", "1h", "recurrence.startTime"), ("2:0", "1h", "recurrence.startTime"), ("1.02:00", "1h", "recurrence.startTime"),
                     ("24:00", "1h", "recurrence.startTime"), ("-01:00", "1h", "recurrence.startTime"),
                     ("02:00", "8d", "recurrence.duration"), ("02:00", "90", "recurrence.duration"), ("02:00", "30s", "recurrence.duration"),
                 })
        {
            var problem = await Problem(await PostAsync("/api/maintenance-windows", new JsonObject
            {
                ["name"] = "bad", ["matchers"] = new JsonArray("target=x"),
                ["recurrence"] = new JsonObject { ["days"] = new JsonArray("monday"), ["startTime"] = startTime, ["duration"] = duration },
            }), HttpStatusCode.BadRequest);
            Assert.StartsWith($"field '{field}' is '", problem.GetProperty("detail").GetString());
        }
        var longWindow = await Problem(await PostAsync("/api/maintenance-windows", new JsonObject
        {
            ["name"] = "bad", ["matchers"] = new JsonArray("target=x"), ["startsAt"] = now.ToString("O"), ["endsAt"] = now.AddDays(400).ToString("O"),
        }), HttpStatusCode.BadRequest);
        Assert.Contains("the longest allowed is 365d", longWindow.GetProperty("detail").GetString());
        Assert.Equal(before, await ListingsAsync());

        // A recurring window prints its start as a time of day and its length in the grammar: both post back as they are.
        var created = await PostAsync("/api/maintenance-windows", new JsonObject
        {
            ["name"] = "round-trip", ["matchers"] = new JsonArray("target=x"),
            ["recurrence"] = new JsonObject { ["days"] = new JsonArray("friday"), ["startTime"] = "23:30:15", ["duration"] = "90m" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var roundTrip = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("23:30:15", roundTrip.GetProperty("recurrence").GetProperty("startTime").GetString());
        Assert.Equal("90m", roundTrip.GetProperty("recurrence").GetProperty("duration").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync($"/api/maintenance-windows/{roundTrip.GetProperty("id").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task Should_page_alerts_and_silences_with_total_and_next_until_every_item_is_seen()
    {
        for (var i = 0; i < AlertQueries.MaxAlertsPerPage + 5; i++) Observe($"paging-{i:00}", "paged alert");
        await Eventually.AssertAsync(async () =>
            (await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all")).GetProperty("total").GetInt32() > AlertQueries.MaxAlertsPerPage,
            WaitTimeout, "the observations should raise more alerts than one page holds");

        var first = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all");
        Assert.Equal(AlertQueries.MaxAlertsPerPage, first.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.String, first.GetProperty("next").ValueKind);
        var paged = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await node.Anonymous.GetFromJsonAsync<JsonElement>($"/api/alerts?state=all&limit=7{(cursor is null ? "" : $"&cursor={cursor}")}");
            Assert.True(page.GetProperty("items").GetArrayLength() <= 7);
            paged.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        } while (cursor is not null);
        var pagedTargets = paged.Select(a => a.GetProperty("targetId").GetString()!).Where(t => t.StartsWith("paging-", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, AlertQueries.MaxAlertsPerPage + 5).Select(i => $"paging-{i:00}").Order(), pagedTargets.Order());

        var created = new List<string>();
        for (var i = 0; i < AlertQueries.MaxSilencesPerPage + 3; i++)
        {
            var response = await PostAsync("/api/silences", new JsonObject { ["matchers"] = new JsonArray($"target=paging-{i}"), ["duration"] = "1h" });
            created.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }
        var silencePage = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/silences");
        Assert.Equal(AlertQueries.MaxSilencesPerPage, silencePage.GetProperty("items").GetArrayLength());
        Assert.True(silencePage.GetProperty("total").GetInt32() >= created.Count);
        var silenceIds = await AllPagesAsync("/api/silences");
        Assert.All(created, id => Assert.Contains(id, silenceIds));
        foreach (var id in created) await node.Operator.DeleteAsync($"/api/silences/{id}");

        var targets = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets?limit=1");
        Assert.Equal(1, targets.GetProperty("items").GetArrayLength());

        foreach (var (path, parameter) in new[]
                 {
                     ("/api/alerts?limit=0", "limit"), ($"/api/alerts?limit={AlertQueries.MaxAlertsPerPage + 1}", "limit"), ("/api/alerts?limit=abc", "limit"),
                     ("/api/alerts?cursor=-3", "cursor"), ("/api/silences?cursor=zz", "cursor"), ("/api/targets?limit=100000", "limit"),
                     ($"/api/targets?cursor={new string('c', TextLimits.Id + 1)}", "cursor"),
                 })
        {
            var problem = await Problem(await node.Anonymous.GetAsync(path), HttpStatusCode.BadRequest);
            Assert.StartsWith($"parameter '{parameter}'", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Should_refuse_a_field_given_twice_in_every_request_body_at_any_depth_naming_it()
    {
        var alertId = await RaiseAlertAsync("repeats");
        var before = await ListingsAsync();
        var cases = new List<(string Path, string Json, string Field)>();
        foreach (var (route, type) in ApiRequests.Bodies)
        {
            var body = Valid(type);
            var (name, value) = body.First();
            var json = body.ToJsonString();
            // The same name again, exactly and in another case.
            cases.Add((Path(route, alertId), json[..^1] + $",\"{name}\":{value!.ToJsonString()}}}", name));
            cases.Add((Path(route, alertId), json[..^1] + $",\"{name.ToUpperInvariant()}\":{value.ToJsonString()}}}", name));
        }
        cases.Add(("/api/targets", """{"id":"t9","endpoint":"/user/config-service-demo","ID":"t9"}""", "id"));
        cases.Add(("/api/targets", """{"id":"t9","endpoint":"/user/config-service-demo","id":"t9"}""", "id"));
        cases.Add(("/api/targets", """{"id":"t9","endpoint":"/user/config-service-demo","performance":{"interval":"30s","Interval":"40s"}}""", "performance.interval"));
        cases.Add(("/api/targets", """{"id":"t9","Endpoint":"/user/config-service-demo","endpoint":"/user/y"}""", "Endpoint"));
        cases.Add(("/api/silences", """{"matchers":[{"field":"target","value":"a","Field":"rule"}],"duration":"1h"}""", "matchers[0].field"));
        cases.Add(("/api/maintenance-windows",
            """{"name":"w","matchers":["target=a"],"recurrence":{"days":["monday"],"startTime":"02:00","duration":"1h","Days":["tuesday"]}}""", "recurrence.days"));
        foreach (var (path, json, field) in cases)
        {
            var problem = await Problem(await PostRawAsync(path, Encoding.UTF8.GetBytes(json)), HttpStatusCode.BadRequest);
            Assert.Contains($"field '{field}' is given twice", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await ListingsAsync());

        // The same name in different objects is not a repeat.
        var accepted = await PostRawAsync("/api/silences",
            Encoding.UTF8.GetBytes("""{"matchers":[{"field":"target","value":"repeats-none"},{"field":"rule","value":"x"}],"duration":"1h"}"""));
        Assert.True(accepted.StatusCode == HttpStatusCode.Created, await accepted.Content.ReadAsStringAsync());
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await node.Operator.DeleteAsync($"/api/silences/{id}")).StatusCode);

        // The definition reader itself refuses it (the CLI's --set can repeat a field), instead of the configuration provider's FormatException.
        var repeated = JsonDocument.Parse("""{"id":"t9","endpoint":"/user/x","Endpoint":"/user/y"}""").RootElement;
        var refused = Assert.Throws<InvalidTargetDefinitionException>(() => TargetEndpoints.ReadDefinition(repeated));
        Assert.Contains("field 'endpoint' is given twice", Assert.Single(refused.Problems));
    }

    [Fact]
    public async Task Should_refuse_a_lone_surrogate_in_every_string_field_and_a_body_that_is_not_utf8_naming_what_is_wrong()
    {
        var alertId = await RaiseAlertAsync("encoding");
        var before = await ListingsAsync();
        foreach (var field in StringFields())
        {
            var json = field.Build("placeholder").ToJsonString().Replace("\"placeholder\"", "\"x\\ud800\"", StringComparison.Ordinal);
            var problem = await Problem(await PostRawAsync(Path(field.Route, alertId), Encoding.UTF8.GetBytes(json)), HttpStatusCode.BadRequest);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains($"field '{field.Path}' has an escape that is not a character", detail);
            Assert.DoesNotContain("Request", detail);
        }
        foreach (var json in new[] { """{"id":"enc","endpoint":"/user/\udc00"}""", """{"id":"enc","endpoint":"/user/config-service-demo","\ud800":1}""" })
        {
            var problem = await Problem(await PostRawAsync("/api/targets", Encoding.UTF8.GetBytes(json)), HttpStatusCode.BadRequest);
            Assert.Contains("escape that is not a character", problem.GetProperty("detail").GetString());
        }

        // Bytes that are not UTF-8: a stray continuation byte, a truncated sequence, an overlong form, a surrogate encoded directly.
        foreach (var bad in new byte[][] { [0x80], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF] })
            foreach (var route in new[] { "/api/targets", "/api/silences", $"/api/alerts/{alertId}/ack", "/api/maintenance-windows" })
            {
                var prefix = Encoding.UTF8.GetBytes("{\"comment\":\"ok é ");
                var body = prefix.Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
                var problem = await Problem(await PostRawAsync(route, body), HttpStatusCode.BadRequest);
                Assert.StartsWith($"the body is not valid UTF-8 at byte {prefix.Length}", problem.GetProperty("detail").GetString());
            }
        Assert.Equal(before, await ListingsAsync());
        Assert.Null(JsonBody.InvalidUtf8At(Encoding.UTF8.GetBytes("plain, é, 😀 and 中文 " + new string('x', 5000))));
    }

    [Fact]
    public async Task Should_answer_400_naming_the_parameter_and_its_values_when_a_query_parameter_is_not_one_of_them()
    {
        foreach (var all in new[] { "maybe", "", "1", "yes", "true,false" })
        {
            var problem = await Problem(await node.Anonymous.GetAsync($"/api/silences?all={Uri.EscapeDataString(all)}"), HttpStatusCode.BadRequest);
            Assert.Equal($"parameter 'all' is '{all}', which is not true or false", problem.GetProperty("detail").GetString());
        }
        foreach (var all in new[] { "true", "FALSE", "True" })
            Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync($"/api/silences?all={all}")).StatusCode);

        // No route binds a query parameter to a typed value: a failed binding answers a problem that names nothing.
        var typed = ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)node.App).DataSources.SelectMany(d => d.Endpoints)
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? []).Select(p => (e.RoutePattern.RawText, Parameter: p)))
            .Where(x => x.Parameter.ParameterType.IsValueType && x.Parameter.ParameterType != typeof(CancellationToken))
            .Select(x => $"{x.RawText}: {x.Parameter.ParameterType.Name} {x.Parameter.Name}")
            .ToList();
        Assert.Empty(typed);
        Assert.Contains(((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)node.App).DataSources.SelectMany(d => d.Endpoints)
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>(), e => e.RoutePattern.RawText?.EndsWith("/silences", StringComparison.Ordinal) == true
                && e.Metadata.GetMetadata<MethodInfo>() is not null);
    }

    [Fact]
    public async Task Should_refuse_a_past_one_off_window_dates_with_a_recurrence_and_a_repeated_day()
    {
        var before = await ListingsAsync();
        var now = DateTimeOffset.UtcNow;
        var recurrence = new JsonObject { ["days"] = new JsonArray("saturday"), ["startTime"] = "02:00", ["duration"] = "1h" };
        var cases = new (JsonObject Body, string Expected)[]
        {
            (Window(new() { ["startsAt"] = now.AddDays(-2).ToString("O"), ["endsAt"] = now.AddDays(-1).ToString("O") }), "which is not in the future"),
            (Window(new() { ["startsAt"] = now.AddHours(-2).ToString("O"), ["endsAt"] = now.AddMinutes(-1).ToString("O") }), "which is not in the future"),
            (Window(new() { ["startsAt"] = now.AddHours(1).ToString("O"), ["endsAt"] = now.AddHours(2).ToString("O"), ["recurrence"] = recurrence.DeepClone() }), "not both"),
            (Window(new() { ["endsAt"] = now.AddHours(2).ToString("O"), ["recurrence"] = recurrence.DeepClone() }), "not both"),
            (Window(new() { ["startsAt"] = now.AddHours(2).ToString("O"), ["recurrence"] = recurrence.DeepClone() }), "not both"),
            (Window(new() { ["recurrence"] = new JsonObject { ["days"] = new JsonArray("Saturday", "saturday"), ["startTime"] = "02:00", ["duration"] = "1h" } }),
                "field 'recurrence.days' has saturday twice"),
            (Window(new() { ["recurrence"] = new JsonObject { ["days"] = new JsonArray("monday", "SUNDAY", "Monday"), ["startTime"] = "02:00", ["duration"] = "1h" } }),
                "field 'recurrence.days' has monday twice"),
        };
        foreach (var (body, expected) in cases)
        {
            var problem = await Problem(await PostAsync("/api/maintenance-windows", body), HttpStatusCode.BadRequest);
            Assert.Contains(expected, problem.GetProperty("detail").GetString());
        }

        // Several mistakes at once come back together, in one answer, whichever they are.
        var several = new (JsonObject Body, string[] Expected)[]
        {
            (new JsonObject { ["matchers"] = new JsonArray("target=review-none") }, ["field 'name' is required", "field 'startsAt' is missing"]),
            (new JsonObject { ["name"] = "x", ["matchers"] = new JsonArray(), ["startsAt"] = now.AddHours(1).ToString("O") },
                ["field 'matchers' is empty", "field 'endsAt' is missing"]),
            (new JsonObject { ["matchers"] = new JsonArray("nonsense"), ["startsAt"] = now.AddYears(2).ToString("O"), ["endsAt"] = now.AddYears(2).AddHours(1).ToString("O") },
                ["field 'name' is required", "more than", "nonsense"]),
            (new JsonObject { ["name"] = "x", ["matchers"] = new JsonArray("target=a"), ["startsAt"] = now.AddHours(1).ToString("O"),
                ["recurrence"] = new JsonObject { ["days"] = new JsonArray("funday"), ["startTime"] = "02:00", ["duration"] = "1h" } },
                ["'funday'", "not both"]),
        };
        foreach (var (body, expected) in several)
        {
            var detail = (await Problem(await PostAsync("/api/maintenance-windows", body), HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
            Assert.All(expected, e => Assert.Contains(e, detail));
        }
        Assert.Equal(before, await ListingsAsync());

        // A one-off window that started in the past but ends in the future is still taken, as is a recurrence of distinct days.
        foreach (var body in new[]
                 {
                     Window(new() { ["startsAt"] = now.AddHours(-1).ToString("O"), ["endsAt"] = now.AddHours(1).ToString("O") }),
                     Window(new() { ["recurrence"] = new JsonObject { ["days"] = new JsonArray("saturday", "sunday"), ["startTime"] = "02:00", ["duration"] = "1h" } }),
                 })
        {
            var created = await PostAsync("/api/maintenance-windows", body);
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync($"/api/maintenance-windows/{id}")).StatusCode);
        }

        static JsonObject Window(JsonObject fields)
        {
            fields["name"] = "review";
            fields["matchers"] = new JsonArray("target=review-none");
            return fields;
        }
    }

    [Fact]
    public async Task Should_refuse_a_plain_severity_or_category_matcher_that_no_alert_can_have_naming_the_allowed_values()
    {
        var before = await ListingsAsync();
        var severities = Enum.GetValues<AlertSeverity>().Select(AlertNames.Severity).ToList();
        var categories = Enum.GetValues<AlertCategory>().Select(AlertNames.Category).ToList();
        Assert.Equal(["info", "warning", "critical"], severities);
        Assert.Equal(["performance", "health", "cache", "database", "event_system"], categories);
        foreach (var (field, names) in new[] { ("severity", severities), ("category", categories) })
            foreach (var value in new[] { "bogus", "warn", "eventsystem", "1" })
                foreach (var matcher in new JsonNode[] { JsonValue.Create($"{field}={value}"), new JsonObject { ["field"] = field, ["value"] = value } })
                    foreach (var route in new[] { "/api/silences", "/api/maintenance-windows" })
                    {
                        var body = new JsonObject { ["matchers"] = new JsonArray(matcher.DeepClone()), ["name"] = "m", ["duration"] = "1h" };
                        if (route == "/api/maintenance-windows")
                        {
                            body.Remove("duration");
                            body["recurrence"] = new JsonObject { ["days"] = new JsonArray("monday"), ["startTime"] = "02:00", ["duration"] = "1h" };
                        }
                        else body.Remove("name");
                        var problem = await Problem(await PostAsync(route, body), HttpStatusCode.BadRequest);
                        Assert.Contains($"matcher on {field} has the value '{value}', which no alert has ({field} is one of {string.Join(", ", names)}",
                            problem.GetProperty("detail").GetString());
                    }
        Assert.Equal(before, await ListingsAsync());

        // Every name (in any case), and any regex, is taken.
        var accepted = severities.Select(n => $"severity={n.ToUpperInvariant()}").Concat(categories.Select(n => $"category={n}"))
            .Concat(["severity=~bog.*", "category=~.*"]);
        foreach (var text in accepted)
        {
            var created = await PostAsync("/api/silences", new JsonObject { ["matchers"] = new JsonArray(text, "target=matchers-none"), ["duration"] = "1h" });
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"{text}: {await created.Content.ReadAsStringAsync()}");
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.OK, (await node.Operator.DeleteAsync($"/api/silences/{id}")).StatusCode);
        }
    }

    [Fact]
    public async Task Should_print_only_one_maximum_and_only_durations_that_parse_back_in_its_messages()
    {
        // Not a duration: the grammar's message alone. A duration out of range: the range and then the retention hint.
        foreach (var window in new[] { "30", "soon", "99999d" })
        {
            var detail = (await Problem(await node.Anonymous.GetAsync($"/api/targets/demo/metrics/config_access_ms/summary?window={window}"),
                HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
            Assert.DoesNotContain("retention", detail);
        }
        foreach (var window in new[] { "3000d", "30s" })
        {
            var detail = (await Problem(await node.Anonymous.GetAsync($"/api/targets/demo/metrics/config_access_ms/summary?window={window}"),
                HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
            Assert.Contains("(the most is the metrics retention, ConfigMonitor:Maintenance:MetricsRetention)", detail);
            Assert.DoesNotContain("which is not a duration", detail);
        }

        // endsAt far away: every duration printed in the message parses back.
        var now = DateTimeOffset.UtcNow;
        foreach (var endsAt in new[] { now.AddDays(400), now.AddDays(5000), DateTimeOffset.MaxValue.AddDays(-1) })
        {
            var detail = (await Problem(await PostAsync("/api/silences", new JsonObject
            {
                ["matchers"] = new JsonArray("target=x"), ["endsAt"] = endsAt.ToString("O"),
            }), HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
            Assert.Contains("the longest allowed is 365d", detail);
            foreach (System.Text.RegularExpressions.Match duration in System.Text.RegularExpressions.Regex.Matches(detail, @"(?<![\w:.-])[0-9][0-9.]*(ms|s|m|h|d)\b"))
                Assert.True(Durations.TryParse(duration.Value, out _), $"'{duration.Value}' in \"{detail}\" does not parse back");
        }
    }

    [Fact]
    public async Task Should_refuse_a_silence_or_window_that_starts_more_than_a_year_ahead_never_500()
    {
        // Found by a hostile review: a start in year 9999 plus a duration overflowed DateTimeOffset (500, empty body).
        var before = await ListingsAsync();
        foreach (var (startsAt, more) in new (string, JsonObject)[]
                 {
                     ("9999-12-31T23:00:00Z", new JsonObject { ["duration"] = "365d" }),
                     ("9999-12-31T23:59:00Z", new JsonObject { ["duration"] = "1m" }),
                     ("9999-12-31T23:00:00Z", new JsonObject { ["endsAt"] = "9999-12-31T23:30:00Z" }),
                     (DateTimeOffset.UtcNow.AddDays(400).ToString("O"), new JsonObject { ["duration"] = "1h" }),
                 })
        {
            var silence = new JsonObject { ["matchers"] = new JsonArray("target=x"), ["startsAt"] = startsAt };
            foreach (var (key, value) in more) silence[key] = value?.DeepClone();
            var problem = await Problem(await PostAsync("/api/silences", silence), HttpStatusCode.BadRequest);
            Assert.Contains("field 'startsAt'", problem.GetProperty("detail").GetString());
            var window = new JsonObject { ["name"] = "far", ["matchers"] = new JsonArray("target=x"), ["startsAt"] = startsAt, ["endsAt"] = "9999-12-31T23:59:59Z" };
            problem = await Problem(await PostAsync("/api/maintenance-windows", window), HttpStatusCode.BadRequest);
            Assert.Contains("field 'startsAt'", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await ListingsAsync());
    }

    private async Task<HttpResponseMessage> PostRawAsync(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return await node.Operator.PostAsync(path, content);
    }

    private async Task<List<string>> AllPagesAsync(string path)
    {
        var ids = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await node.Anonymous.GetFromJsonAsync<JsonElement>(cursor is null ? path : $"{path}{(path.Contains('?') ? '&' : '?')}cursor={cursor}");
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
            Assert.True(++pages < 1000, "paging should end");
        } while (cursor is not null);
        return ids;
    }

    private static IEnumerable<(string Path, string Text)> Strings(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in element.EnumerateObject())
                foreach (var inner in Strings(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}")) yield return inner;
        }
        else if (element.ValueKind == JsonValueKind.String) yield return (path, element.GetString()!);
    }

    private void Observe(string target, string message) =>
        node.App.Registry().Get<AlertManager>().Tell(new Observation(target, AlertCategory.Performance, "input-limits", true, AlertSeverity.Warning,
            message, DateTimeOffset.UtcNow));

    /// <summary>Causes an alert on command (an observation of a breach told to the node's AlertManager) and returns its id.</summary>
    private async Task<string> RaiseAlertAsync(string target)
    {
        Observe(target, "raised by the input limit specs");
        string? id = null;
        await Eventually.AssertAsync(async () =>
        {
            var all = await AllAlertsAsync();
            id = all.FirstOrDefault(a => a.GetProperty("targetId").GetString() == target).ValueKind == JsonValueKind.Object
                ? all.First(a => a.GetProperty("targetId").GetString() == target).GetProperty("id").GetString()
                : null;
            return id is not null;
        }, WaitTimeout, $"an alert of {target} should be raised");
        return id!;
    }

    private async Task<List<JsonElement>> AllAlertsAsync()
    {
        var alerts = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await node.Anonymous.GetFromJsonAsync<JsonElement>($"/api/alerts?state=all{(cursor is null ? "" : $"&cursor={cursor}")}");
            alerts.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        } while (cursor is not null);
        return alerts;
    }

    /// <summary>What a refused request must not change: targets, acknowledgements, silences and windows (new alerts and alert times move on their own).</summary>
    private async Task<string> ListingsAsync()
    {
        var targets = await node.Anonymous.GetStringAsync("/api/targets?limit=200");
        var alerts = string.Join("\n", (await AllAlertsAsync()).Where(a => a.GetProperty("acknowledged").GetBoolean()).OrderBy(a => a.GetProperty("id").GetString()).Select(a =>
            $"{a.GetProperty("id")}|{a.GetProperty("acknowledged")}|{a.GetProperty("acknowledgedBy")}|{a.GetProperty("acknowledgeComment")}"));
        var silences = string.Join("\n", await AllPagesAsync("/api/silences?all=true"));
        var windows = await node.Anonymous.GetStringAsync("/api/maintenance-windows");
        return string.Join("\n---\n", targets, alerts, silences, windows);
    }

    private static string Path(string route, string alertId) => route.Split(' ')[1].Replace("{id}", alertId);

    private async Task<HttpResponseMessage> PostAsync(string path, JsonObject body) =>
        await node.Operator.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    /// <summary>Asserts an RFC 7807 problem with <paramref name="status"/> and returns its body.</summary>
    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}

using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Akka.Serialization;
using ConfigMonitor.Actors.Serialization;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Serialization;

/// <summary>
/// The stored and sent formats stay readable: every manifest has golden payload files (Serialization/Golden, see its README)
/// holding the bytes an earlier build wrote for the samples of <see cref="ConfigMonitorSerializerSpecs.Samples"/>, and the
/// current serializer must read each of them back as that sample. <c>CONFIGMONITOR_WRITE_GOLDEN=1</c> writes the files that
/// are missing (never one that exists); CI never writes.
/// </summary>
public sealed class GoldenPayloadSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ConfigMonitorSerializerSpecs.Bindings, output: output)
{
    /// <summary>The opt-in that writes missing golden files into the source folder.</summary>
    public const string WriteVariable = "CONFIGMONITOR_WRITE_GOLDEN";

    /// <summary>A golden file: the manifest it holds, the 1-based number of the sample of that manifest, and its path.</summary>
    private sealed record GoldenFile(string Manifest, int Number, string Path);

    /// <summary>The samples by manifest, numbered 1… in the order of <see cref="ConfigMonitorSerializerSpecs.Samples"/>.</summary>
    private Dictionary<string, List<object>> SamplesByManifest(ConfigMonitorSerializer serializer) =>
        // Dead letters, not a test actor: its path has no random uid, so the bytes of a sample are the same in every run.
        ConfigMonitorSerializerSpecs.Samples(Sys.DeadLetters)
            .GroupBy(serializer.Manifest, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    private ConfigMonitorSerializer Serializer => Assert.IsType<ConfigMonitorSerializer>(Sys.Serialization.FindSerializerForType(typeof(Protocol.IConfigMonitorMessage)));

    [Fact]
    public void Should_read_every_golden_payload_as_the_sample_it_was_written_from()
    {
        var serializer = Serializer;
        var samples = SamplesByManifest(serializer);
        WriteMissingFilesWhenAsked(serializer, samples);
        var failures = new List<string>();
        foreach (var golden in GoldenFiles(OutputFolder))
        {
            if (!samples.TryGetValue(golden.Manifest, out var ofManifest) || ofManifest.Count < golden.Number)
                continue; // the next fact names it
            var bytes = File.ReadAllBytes(golden.Path);
            object read;
            try
            {
                read = serializer.FromBinary(bytes, golden.Manifest);
            }
            catch (Exception e)
            {
                failures.Add($"{Name(golden)}: the current serializer cannot read it ({e.GetType().Name}: {e.Message})");
                continue;
            }
            // Equal as the current code sees them: the payload read back and the sample write the same bytes now. (Not "the
            // file's bytes are written again": a field added with a default changes what is written but not what old data means.)
            var expected = ofManifest[golden.Number - 1];
            var readBack = serializer.ToBinary(read);
            var sampleBytes = serializer.ToBinary(expected);
            if (read.GetType() != expected.GetType() || !readBack.AsSpan().SequenceEqual(sampleBytes))
                failures.Add($"{Name(golden)}: reads as {Show(read.GetType(), readBack)} but sample {golden.Number} of '{golden.Manifest}' is " +
                             $"{Show(expected.GetType(), sampleBytes)}. Either the format of '{golden.Manifest}' changed (data already stored or sent " +
                             "by a running node would be misread: keep this manifest readable, and give a changed format a new manifest), or the sample was " +
                             "edited (samples with a golden file are never edited or removed: add a new one after them)");
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Should_have_a_golden_payload_for_every_manifest_and_every_sample()
    {
        var serializer = Serializer;
        var samples = SamplesByManifest(serializer);
        WriteMissingFilesWhenAsked(serializer, samples);
        var present = GoldenFiles(OutputFolder).Select(g => (g.Manifest, g.Number)).ToHashSet();

        var missing = samples.SelectMany(s => s.Value.Select((_, i) => (Manifest: s.Key, Number: i + 1)))
            .Where(m => !present.Contains(m))
            .Select(m => $"{FileName(m.Manifest, m.Number, null)}.(json|bin) for sample {m.Number} of '{m.Manifest}'")
            .ToList();
        Assert.True(missing.Count == 0,
            $"no golden payload file: {string.Join(", ", missing)}. Write the missing files with {WriteVariable}=1 dotnet test " +
            "tests/ConfigMonitor.Actors.Tests --filter FullyQualifiedName~GoldenPayloadSpecs (it never overwrites a file) and commit them");
    }

    [Fact]
    public void Should_know_the_manifest_and_the_sample_of_every_golden_payload()
    {
        var samples = SamplesByManifest(Serializer);
        var known = ConfigMonitorSerializer.Manifests.Values.ToHashSet(StringComparer.Ordinal);
        var orphans = new List<string>();
        foreach (var golden in GoldenFiles(OutputFolder))
        {
            if (!known.Contains(golden.Manifest))
                orphans.Add($"{Name(golden)}: manifest '{golden.Manifest}' is no longer in ConfigMonitorSerializer.Manifests, so data stored or sent " +
                            "with it cannot be read; a manifest, once released, stays readable");
            else if (!samples.TryGetValue(golden.Manifest, out var ofManifest) || ofManifest.Count < golden.Number)
                orphans.Add($"{Name(golden)}: '{golden.Manifest}' has no sample {golden.Number} in ConfigMonitorSerializerSpecs.Samples; " +
                            "samples with a golden file are never removed");
        }
        Assert.True(orphans.Count == 0, string.Join(Environment.NewLine, orphans));
    }

    [Fact]
    public void Should_name_golden_files_so_that_manifests_differing_only_in_case_do_not_share_a_file()
    {
        // "tr" and "TR" are two manifests; on a file system that ignores case (macOS, Windows) tr.1.json and TR.1.json are one file.
        Assert.Equal("tr.1", FileName("tr", 1, null));
        Assert.Equal("_t_r.1", FileName("TR", 1, null));
        Assert.Equal(("TR", 2), Parse("_t_r.2.json"));
        Assert.Equal(("mwcd", 1), Parse("mwcd.1.json"));
        Assert.Null(Parse("README.md"));
        var names = ConfigMonitorSerializer.Manifests.Values.Select(m => FileName(m, 1, null)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(ConfigMonitorSerializer.Manifests.Values, m => Assert.Matches("^[A-Za-z0-9]+$", m));
    }

    // --- the files ---------------------------------------------------------------------------------------------------

    /// <summary>The copy next to the test assembly (the project copies Serialization/Golden there).</summary>
    private static string OutputFolder => Path.Combine(AppContext.BaseDirectory, "Serialization", "Golden");

    /// <summary>The source folder the copy comes from (where new files are written, to be committed).</summary>
    private static string SourceFolder([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");

    private static IEnumerable<GoldenFile> GoldenFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Select(p => (Path: p, Parsed: Parse(Path.GetFileName(p))))
                .Where(f => f.Parsed is not null).Select(f => new GoldenFile(f.Parsed!.Value.Manifest, f.Parsed.Value.Number, f.Path))
                .OrderBy(f => f.Path, StringComparer.Ordinal)
            : [];

    /// <summary>The file name of sample <paramref name="number"/> of <paramref name="manifest"/>: each capital X is written _x.</summary>
    private static string FileName(string manifest, int number, string? extension)
    {
        var name = new StringBuilder();
        foreach (var c in manifest) name.Append(char.IsUpper(c) ? $"_{char.ToLowerInvariant(c)}" : c.ToString());
        name.Append('.').Append(number);
        if (extension is not null) name.Append('.').Append(extension);
        return name.ToString();
    }

    private static (string Manifest, int Number)? Parse(string fileName)
    {
        var parts = fileName.Split('.');
        if (parts.Length != 3 || parts[2] is not ("json" or "bin") || !int.TryParse(parts[1], out var number) || number < 1) return null;
        var manifest = new StringBuilder();
        for (var i = 0; i < parts[0].Length; i++)
            manifest.Append(parts[0][i] == '_' && i + 1 < parts[0].Length ? char.ToUpperInvariant(parts[0][++i]) : parts[0][i]);
        return (manifest.ToString(), number);
    }

    private static string Name(GoldenFile golden) => $"Golden/{Path.GetFileName(golden.Path)}";

    private static string Show(Type type, byte[] bytes) => $"{type.Name} {(IsJson(bytes) ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes))}";

    private static bool IsJson(byte[] bytes)
    {
        try
        {
            using var _ = JsonDocument.Parse(bytes);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>With <see cref="WriteVariable"/>=1 (and not under CI): writes each missing file into the source folder and the copy; never replaces one.</summary>
    private void WriteMissingFilesWhenAsked(ConfigMonitorSerializer serializer, Dictionary<string, List<object>> samples)
    {
        if (Environment.GetEnvironmentVariable(WriteVariable) != "1") return;
        if (RequiredServer.UnderCi)
        {
            Output?.WriteLine($"{WriteVariable}=1 is ignored under CI: golden files are written on a developer's machine and committed");
            return;
        }
        var present = GoldenFiles(SourceFolder()).Select(g => (g.Manifest, g.Number)).ToHashSet();
        foreach (var (manifest, ofManifest) in samples)
            for (var i = 0; i < ofManifest.Count; i++)
            {
                if (present.Contains((manifest, i + 1))) continue;
                var bytes = serializer.ToBinary(ofManifest[i]);
                var name = FileName(manifest, i + 1, IsJson(bytes) ? "json" : "bin");
                Directory.CreateDirectory(SourceFolder());
                // CreateNew: an existing file (written by an earlier build) is never replaced.
                using (var file = new FileStream(Path.Combine(SourceFolder(), name), FileMode.CreateNew, FileAccess.Write))
                    file.Write(bytes);
                Directory.CreateDirectory(OutputFolder);
                if (!File.Exists(Path.Combine(OutputFolder, name))) File.WriteAllBytes(Path.Combine(OutputFolder, name), bytes);
                Output?.WriteLine($"wrote Golden/{name}");
            }
    }
}

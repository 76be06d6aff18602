using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>Every target example the manual gives (its ```json blocks with ConfigMonitor:Targets, in README.md and docs/) is read by the real reader without a problem.</summary>
public sealed partial class ReadmeTargetExamplesSpecs
{
    private static string Readme()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ConfigMonitor.Actors.sln")))
                return string.Join("\n", new[] { Path.Combine(folder.FullName, "README.md") }
                    .Concat(Directory.GetFiles(Path.Combine(folder.FullName, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    .Select(File.ReadAllText));
        throw new FileNotFoundException("README.md and docs/ (beside ConfigMonitor.Actors.sln) not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Fact]
    public void Every_target_example_should_be_a_valid_definition()
    {
        var examples = JsonBlock().Matches(Readme()).Select(m => m.Groups[1].Value)
            .Where(json => json.Contains("\"ConfigMonitor\"", StringComparison.Ordinal) && json.Contains("\"Targets\"", StringComparison.Ordinal))
            .ToList();
        Assert.True(examples.Count >= 6, $"found {examples.Count} target examples in the README and docs/");
        var kinds = new HashSet<string>();
        foreach (var json in examples)
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
            var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
            IReadOnlyList<TargetDefinition> targets;
            try
            {
                targets = TargetDefinitionReader.Read(configuration.GetSection("ConfigMonitor:Targets"));
            }
            catch (InvalidTargetDefinitionException e)
            {
                throw new Xunit.Sdk.XunitException($"an example of the manual is refused: {string.Join(" | ", e.Problems)}\n{json}");
            }
            foreach (var facet in targets.SelectMany(TargetFacets.Resolve)) kinds.Add(facet.Kind);
        }
        // The examples cover every kind.
        Assert.Superset(new HashSet<string>(FacetKinds.All), kinds);
    }
}

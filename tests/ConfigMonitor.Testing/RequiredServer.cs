using Xunit.Sdk;

namespace ConfigMonitor.Testing;

/// <summary>
/// The one gate of every test that needs a real server or tool (Prometheus and promtool, Alertmanager; later PostgreSQL,
/// etcd, Redis, Chromium). When it is missing: on a developer's machine the test is skipped with the reason; under
/// <c>CI=true</c> (as .ci/run sets it) the test fails with the reason, because a skipped test is not a passed one.
/// Use it as the first line of a <c>[SkippableFact]</c> or <c>[SkippableTheory]</c>. Linked into every test project.
/// </summary>
public static class RequiredServer
{
    /// <summary>True when the environment says this is a CI run (<c>CI=true</c> or <c>CI=1</c>).</summary>
    public static bool UnderCi => IsCi(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The reading of the <c>CI</c> variable: <c>true</c> (any case) or <c>1</c>.</summary>
    public static bool IsCi(string? value) =>
        value is not null && (value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || value.Trim() == "1");

    /// <summary>Returns when <paramref name="available"/>; else skips (developer) or fails (CI) the running test with <paramref name="reason"/>.</summary>
    public static void Require(bool available, string reason) => Require(available, reason, UnderCi);

    /// <summary>The same, with the CI decision given (the helper's own tests use it).</summary>
    public static void Require(bool available, string reason, bool underCi)
    {
        if (available) return;
        if (underCi) throw new RequiredServerMissingException(reason);
        Skip.If(true, reason + " (a skip is allowed only outside CI; under CI=true this test fails)");
    }
}

/// <summary>A required server is missing under CI: the test fails, naming it.</summary>
public sealed class RequiredServerMissingException(string reason)
    : XunitException($"CI=true and this test's server is missing, so it fails instead of skipping: {reason}");

using Xunit.Sdk;

namespace ConfigMonitor.Host.Tests;

/// <summary>The skip gate shared by every test project: skipped is not passed under CI.</summary>
public sealed class RequiredServerSpecs
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData(" true ", true)]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    public void Should_read_the_ci_variable(string? value, bool underCi)
    {
        Assert.Equal(underCi, RequiredServer.IsCi(value));
    }

    [Fact]
    public void Should_fail_a_test_whose_server_is_missing_under_ci_with_the_reason()
    {
        var error = Assert.ThrowsAny<XunitException>(() => RequiredServer.Require(false, "promtool is not installed", underCi: true));
        Assert.IsNotType<Xunit.SkipException>(error);
        Assert.Contains("promtool is not installed", error.Message);
        Assert.Contains("CI=true", error.Message);
    }

    [Fact]
    public void Should_skip_a_test_whose_server_is_missing_on_a_developer_machine_with_the_reason()
    {
        var skip = Assert.Throws<Xunit.SkipException>(() => RequiredServer.Require(false, "promtool is not installed", underCi: false));
        Assert.Contains("promtool is not installed", skip.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_let_a_test_whose_server_is_there_run(bool underCi)
    {
        RequiredServer.Require(true, "never shown", underCi);
    }
}

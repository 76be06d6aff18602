using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ConfigMonitor.ConfigService.Http;

/// <summary>Whether a request may write or inject a fault, and if not, why.</summary>
public readonly record struct GuardDecision(bool Allowed, string? Reason)
{
    /// <summary>Allowed.</summary>
    public static readonly GuardDecision Allow = new(true, null);

    /// <summary>Refused with <paramref name="reason"/>.</summary>
    public static GuardDecision Refuse(string reason) => new(false, reason);
}

/// <summary>
/// The guard of <c>PUT /config/{key}</c> and <c>POST /faults/*</c>: loopback clients may; others need
/// <c>Authorization: Bearer &lt;token&gt;</c> with the configured fault token. A presented token that is wrong is refused
/// even from loopback. Reads, <c>/events</c> and <c>/events/notify</c> are not guarded.
/// </summary>
public static class FaultGuard
{
    private const string Scheme = "Bearer ";

    /// <summary>The decision for a client at <paramref name="remote"/> (null when unknown: not loopback) sending <paramref name="authorization"/>.</summary>
    public static GuardDecision Decide(IPAddress? remote, string? authorization, string? token, string tokenSetting = "ConfigService:FaultToken")
    {
        var loopback = remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);
        var presented = string.IsNullOrWhiteSpace(authorization) ? null : authorization.Trim();
        if (presented is not null && token is not null)
        {
            if (!presented.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
                return GuardDecision.Refuse($"the Authorization header is not 'Bearer <token>'; send the token set in {tokenSetting} as a bearer token");
            var given = presented[Scheme.Length..].Trim();
            return FixedTimeEquals(given, token)
                ? GuardDecision.Allow
                : GuardDecision.Refuse($"the bearer token was refused; send the token set in {tokenSetting}");
        }
        if (loopback) return GuardDecision.Allow;
        var who = remote is null ? "a client of unknown address" : $"client {remote}";
        return token is null
            ? GuardDecision.Refuse($"writes and faults are accepted only from loopback clients, and {who} is not one; set {tokenSetting} to allow other clients with 'Authorization: Bearer <token>'")
            : GuardDecision.Refuse($"writes and faults from {who} (not loopback) need 'Authorization: Bearer <token>' with the token set in {tokenSetting}");
    }

    private static bool FixedTimeEquals(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

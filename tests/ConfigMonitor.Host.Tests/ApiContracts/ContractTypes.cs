using System.Reflection;
using System.Runtime.CompilerServices;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>Reflection over the API's records: which types a type is built from.</summary>
public static class ContractTypes
{
    /// <summary>True for a record (it has the compiler's EqualityContract).</summary>
    public static bool IsRecord(Type type) =>
        type.IsClass && type.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance)?.GetMethod?.GetCustomAttribute<CompilerGeneratedAttribute>() is not null;

    /// <summary>The public instance properties JSON writes and reads.</summary>
    public static IEnumerable<PropertyInfo> PropertiesOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0);

    /// <summary>True when <paramref name="type"/>, its element type or any generic argument is declared in <paramref name="assembly"/>.</summary>
    public static bool Mentions(Type type, Assembly assembly)
    {
        if (type.Assembly == assembly) return true;
        if (type.HasElementType && Mentions(type.GetElementType()!, assembly)) return true;
        return type.IsGenericType && type.GetGenericArguments().Any(a => Mentions(a, assembly));
    }

    /// <summary>A readable name: Page&lt;Alert&gt;, TargetMonitorQueries.TargetStatus.</summary>
    public static string Name(Type type)
    {
        var name = type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : type.Name;
        if (!type.IsGenericType) return name;
        return $"{name[..name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>";
    }
}

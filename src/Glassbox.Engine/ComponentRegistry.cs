using System.Collections.Immutable;
using System.Reflection;

namespace Glassbox.Engine;

/// <summary>
/// Component types a scene file may name, with the fields it may set: every public property with a
/// public setter (or init) of type string, bool, int, float, double, uint (a colour: a number or
/// "#RRGGBB" / "#RRGGBBAA"), an enum (by name), or string[] / float[]. Fields are written in
/// lowerCamelCase, and every component has "enabled"; properties marked <see cref="RequiredFieldAttribute"/> must be given.
/// </summary>
public sealed class ComponentRegistry
{
    private readonly Dictionary<string, ComponentType> _types = new(StringComparer.Ordinal);

    /// <summary>The components Glassbox.Engine itself defines.</summary>
    public static ComponentRegistry Default => new ComponentRegistry()
        .Register<Label>()
        .Register<CnnInference>()
        .Register<DrawingCanvasInput>("DrawingCanvas")
        .Register<AttributionOverlay>()
        .Register<ProbabilityBars>()
        .Register<StatsPanel>()
        .Register<CameraFeed>()
        .Register<VideoFeed>()
        .Register<FeatureMapGrid>()
        .Register<NetworkView>()
        .Register<ChannelInspector>()
        .Register<Button>()
        .Register<ImageFeed>()
        .Register<AttentionOverlay>()
        .Register<HealthFile>()
        .Register<AttractLoop>()
        .Register<LogFile>("Log")
        .Register<Recording.SessionRecorder>("Recorder")
        .Register<Recording.SessionReplayer>("Replay");

    public IEnumerable<string> Names => _types.Keys.Order(StringComparer.Ordinal);

    /// <summary>Makes <typeparamref name="T"/> nameable as <paramref name="name"/> (default: the class name).</summary>
    public ComponentRegistry Register<T>(string? name = null) where T : Component, new()
    {
        name ??= typeof(T).Name;
        var fields = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetMethod is { IsPublic: true } && (p.DeclaringType != typeof(Component) || p.Name == nameof(Component.Enabled)) && IsSupported(p.PropertyType))
            .ToImmutableDictionary(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..], p => p, StringComparer.Ordinal);
        _types[name] = new ComponentType(name, () => new T(), fields);
        return this;
    }

    internal ComponentType? Find(string name) => _types.GetValueOrDefault(name);

    internal static bool IsRequired(PropertyInfo property) => property.GetCustomAttribute<RequiredFieldAttribute>() is not null;

    private static bool IsSupported(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(float) || type == typeof(double) ||
        type == typeof(uint) || type.IsEnum || type == typeof(string[]) || type == typeof(float[]) || typeof(Component).IsAssignableFrom(type);
}

internal sealed record ComponentType(string Name, Func<Component> Create, ImmutableDictionary<string, PropertyInfo> Fields);

/// <summary>A component field a scene file must give (a model path, say): leaving it out is an error naming it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;

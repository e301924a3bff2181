using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Glassbox.Engine;

/// <summary>
/// Scenes as JSON, so a kiosk or a user composes one without code:
/// <code>
/// { "scene": "demo",
///   "entities": [ { "name": "Title", "active": true,
///                   "components": [ { "type": "Label", "text": "Draw a digit", "x": 20, "y": 20 } ],
///                   "children": [] } ] }
/// </code>
/// Every mistake is an error naming the path to the field ($.entities[0].components[1].opacity) and
/// what would be right; nothing of a scene that fails to load is kept.
/// </summary>
public static class SceneFile
{
    /// <summary>Largest scene file read, and deepest entity nesting: a scene file is input from outside.</summary>
    public const int MaxBytes = 1 << 20, MaxDepth = 32;

    /// <param name="services">The clock and frame sources the scene gets (see <see cref="SceneServices"/>); the defaults if null.</param>
    public static Scene Load(string path, ComponentRegistry registry, SceneServices? services = null)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new SceneFileException($"Scene file '{path}' does not exist. Check the path.");
        if (file.Length > MaxBytes)
            throw new SceneFileException($"Scene file '{path}' is {file.Length} bytes; scene files over {MaxBytes} bytes are not read.");
        return Parse(File.ReadAllText(path), registry, path, Path.GetDirectoryName(Path.GetFullPath(path)), services);
    }

    /// <param name="baseDirectory">Where relative paths in the scene point from; the working directory if null.</param>
    public static Scene Parse(string json, ComponentRegistry registry, string source = "(scene)", string? baseDirectory = null, SceneServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth * 3 + 8, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SceneFileException($"{source}: not valid JSON ({e.Message}).");
        }
        using (document)
        {
            var root = document.RootElement;
            var reader = new Reader(source, registry);
            reader.Expect(root, JsonValueKind.Object, "$", "an object with \"scene\" and \"entities\"");
            reader.OnlyFields(root, "$", "the scene", ["scene", "entities"]);
            string name = root.TryGetProperty("scene", out var n) ? reader.String(n, "$.scene") : Path.GetFileNameWithoutExtension(source);
            var scene = new Scene(name, services) { BaseDirectory = baseDirectory ?? Directory.GetCurrentDirectory() };
            try
            {
                if (root.TryGetProperty("entities", out var entities))
                    reader.Entities(scene, null, entities, "$.entities", depth: 1);
                reader.ResolveReferences(scene);
            }
            catch
            {
                scene.Dispose();
                throw;
            }
            return scene;
        }
    }

    private sealed class Reader(string source, ComponentRegistry registry)
    {
        // A field naming another component (an overlay's "inference": "Input") holds an entity path until the whole
        // tree exists: it may name an entity further down the file.
        private readonly List<(Component Component, PropertyInfo Property, string EntityPath, string At)> _references = [];

        public void ResolveReferences(Scene scene)
        {
            foreach (var (component, property, entityPath, at) in _references)
            {
                var entity = scene.Find(entityPath) ?? throw Error(at, $"no entity '{entityPath}' (entity paths are names joined by '/', such as \"Input\" or \"Panel/Bars\")");
                var target = entity.Components.FirstOrDefault(c => property.PropertyType.IsInstanceOfType(c) && !c.IsDestroyed)
                    ?? throw Error(at, $"entity '{entityPath}' holds no {property.PropertyType.Name}");
                property.SetValue(component, target);
            }
        }

        public void Entities(Scene scene, Entity? parent, JsonElement list, string path, int depth)
        {
            Expect(list, JsonValueKind.Array, path, "a list of entities");
            if (depth > MaxDepth)
                throw Error(path, $"entities nest deeper than {MaxDepth} levels");
            int index = 0;
            foreach (var item in list.EnumerateArray())
            {
                string at = $"{path}[{index++}]";
                Expect(item, JsonValueKind.Object, at, "an entity object");
                OnlyFields(item, at, "an entity", ["name", "active", "components", "children"]);
                if (!item.TryGetProperty("name", out var nameElement))
                    throw Error(at, "missing field 'name'");
                string name = String(nameElement, $"{at}.name");
                Entity entity;
                try
                {
                    entity = scene.CreateEntity(name, parent);
                }
                catch (GlassboxException e)
                {
                    throw Error($"{at}.name", e.Message);
                }
                if (item.TryGetProperty("active", out var active))
                    entity.Active = Bool(active, $"{at}.active");
                if (item.TryGetProperty("components", out var components))
                {
                    Expect(components, JsonValueKind.Array, $"{at}.components", "a list of components");
                    int c = 0;
                    foreach (var component in components.EnumerateArray())
                        entity.Add(Component(component, $"{at}.components[{c++}]"));
                }
                if (item.TryGetProperty("children", out var children))
                    Entities(scene, entity, children, $"{at}.children", depth + 1);
            }
        }

        private Component Component(JsonElement element, string path)
        {
            Expect(element, JsonValueKind.Object, path, "a component object with a \"type\"");
            if (!element.TryGetProperty("type", out var typeElement))
                throw Error(path, $"missing field 'type'; components: {string.Join(", ", registry.Names)}");
            string typeName = String(typeElement, $"{path}.type");
            var type = registry.Find(typeName) ?? throw Error($"{path}.type", $"unknown component '{typeName}'; components: {string.Join(", ", registry.Names)}");
            var component = type.Create();
            var given = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in element.EnumerateObject())
            {
                if (field.Name == "type")
                    continue;
                string at = $"{path}.{field.Name}";
                if (!type.Fields.TryGetValue(field.Name, out var property))
                    throw Error(at, $"unknown field '{field.Name}' of {type.Name}; its fields: {string.Join(", ", type.Fields.Keys.Order(StringComparer.Ordinal))}");
                given.Add(field.Name);
                if (typeof(Component).IsAssignableFrom(property.PropertyType))
                {
                    _references.Add((component, property, String(field.Value, at), at));
                    continue;
                }
                object value = Value(field.Value, property.PropertyType, at);
                try
                {
                    property.SetValue(component, value);
                }
                catch (TargetInvocationException e) when (e.InnerException is GlassboxException or ArgumentException)
                {
                    throw Error(at, e.InnerException.Message);
                }
            }
            var missing = type.Fields.Where(f => ComponentRegistry.IsRequired(f.Value) && !given.Contains(f.Key)).Select(f => f.Key).ToList();
            if (missing.Count > 0)
                throw Error(path, $"{type.Name} needs field{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}");
            return component;
        }

        private object Value(JsonElement element, Type type, string path)
        {
            if (type == typeof(string))
                return String(element, path);
            if (type == typeof(bool))
                return Bool(element, path);
            if (type == typeof(int))
                return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int i) ? i : throw Error(path, $"expected a whole number, got {Describe(element)}");
            if (type == typeof(float) || type == typeof(double))
            {
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out double d) || !double.IsFinite(d))
                    throw Error(path, $"expected a number, got {Describe(element)}");
                return type == typeof(float) ? (object)(float)d : d;
            }
            if (type == typeof(uint))
                return Colour(element, path);
            if (type.IsEnum)
            {
                string text = String(element, path);
                return Enum.GetNames(type).FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } found
                    ? Enum.Parse(type, found)
                    : throw Error(path, $"'{text}' is not one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}");
            }
            Expect(element, JsonValueKind.Array, path, type == typeof(string[]) ? "a list of strings" : "a list of numbers");
            var items = element.EnumerateArray().ToList();
            if (type == typeof(string[]))
                return items.Select((e, k) => String(e, $"{path}[{k}]")).ToArray();
            return items.Select((e, k) => (float)(double)Value(e, typeof(double), $"{path}[{k}]")).ToArray();
        }

        private uint Colour(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out uint packed))
                return packed;
            if (element.ValueKind == JsonValueKind.String && element.GetString() is { } s && s.StartsWith('#') && s.Length is 7 or 9
                && uint.TryParse(s[1..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint rgb))
            {
                uint r = s.Length == 7 ? rgb >> 16 & 0xFF : rgb >> 24 & 0xFF;
                uint g = s.Length == 7 ? rgb >> 8 & 0xFF : rgb >> 16 & 0xFF;
                uint b = s.Length == 7 ? rgb & 0xFF : rgb >> 8 & 0xFF;
                uint a = s.Length == 7 ? 0xFF : rgb & 0xFF;
                return r | g << 8 | b << 16 | a << 24;
            }
            throw Error(path, $"expected a colour \"#RRGGBB\" or \"#RRGGBBAA\", got {Describe(element)}");
        }

        public string String(JsonElement element, string path) =>
            element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Error(path, $"expected a string, got {Describe(element)}");

        private bool Bool(JsonElement element, string path) =>
            element.ValueKind is JsonValueKind.True or JsonValueKind.False ? element.GetBoolean() : throw Error(path, $"expected true or false, got {Describe(element)}");

        public void Expect(JsonElement element, JsonValueKind kind, string path, string what)
        {
            if (element.ValueKind != kind)
                throw Error(path, $"expected {what}, got {Describe(element)}");
        }

        public void OnlyFields(JsonElement element, string path, string what, string[] allowed)
        {
            foreach (var field in element.EnumerateObject())
            {
                if (!allowed.Contains(field.Name))
                    throw Error($"{path}.{field.Name}", $"unknown field '{field.Name}' of {what}; its fields: {string.Join(", ", allowed)}");
            }
        }

        private SceneFileException Error(string path, string message) => new($"{source}: {path}: {message}.");

        private static string Describe(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{Shorten(element.GetString()!)}\"",
            JsonValueKind.Number => $"the number {element.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "a list",
            _ => "an object",
        };

        private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
    }
}

/// <summary>A scene file that cannot be loaded; the message names the field and what would be right.</summary>
public sealed class SceneFileException(string message) : GlassboxException(message);

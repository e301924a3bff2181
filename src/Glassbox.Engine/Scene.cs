using Glassbox.Media;
using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// A tree of entities and the systems over it. One frame, <see cref="Update"/> then
/// <see cref="Render"/>, runs:
/// <list type="number">
/// <item>Start of every active component that has not started (in tree order);</item>
/// <item>systems with a negative order;</item>
/// <item>Update of every active component, depth-first in tree order, then LateUpdate likewise;</item>
/// <item>systems with order 0 or more;</item>
/// <item>destruction requested during the frame: OnDisable, then OnDestroy, children first;</item>
/// <item>and in <see cref="Render"/>, Render of every active component in tree order.</item>
/// </list>
/// Components added during a frame wake at once and start on the next frame. An exception in a
/// component or system is reported through <see cref="Error"/> and the frame goes on: a live app
/// keeps running. Not thread-safe: one thread drives a scene.
/// </summary>
public sealed class Scene : IDisposable
{
    private readonly List<Entity> _roots = [];
    private readonly List<ISystem> _systems = [];
    private readonly List<Entity> _pendingDestroy = [];
    // Every component in tree order, rebuilt only when the tree changes: a frame walks it without
    // allocating. Replaced, never edited, so a frame that adds components keeps iterating the old one.
    private List<Component>? _components;
    private ISystem[]? _systemsInOrder;
    private bool _destroyRequested;
    private bool _inFrame;
    private bool _disposed;

    /// <param name="services">The clock and the frame sources the host gives the scene; the system clock and no sources if null.</param>
    public Scene(string name = "scene", SceneServices? services = null)
    {
        Name = name;
        Services = services ?? SceneServices.Default;
        Lifecycle = new Lifecycle(this);
    }

    public string Name { get; }

    /// <summary>What the host gave the scene: its clock and its frame-source factory.</summary>
    public SceneServices Services { get; }

    /// <summary>
    /// The clock everything in the scene that waits or times out reads (watchdogs, reconnection backoffs,
    /// latencies); a test gives the scene a fake one and moves it by hand.
    /// </summary>
    public TimeProvider Clock => Services.Clock;

    /// <summary>Opens the cameras, video files and test patterns feeds name; null when the host gave none.</summary>
    public IFrameSourceFactory? Sources => Services.Sources;

    /// <summary>Now on <see cref="Clock"/>: what frames are stamped with and latencies measured against.</summary>
    public TimeSpan Now => Clock.GetElapsedTime(0);

    /// <summary>The folder relative paths in the scene (models, videos, images) are resolved against: a scene file's own folder, else the working directory.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary><paramref name="path"/> as an absolute path, relative ones taken from <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) => path.Length == 0 || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    public IReadOnlyList<Entity> Roots => _roots;

    public IReadOnlyList<ISystem> Systems => _systems;

    /// <summary>The last frame's clock.</summary>
    public FrameTime Time { get; private set; }

    /// <summary>Errors thrown by components and systems; the frame goes on without them.</summary>
    public event Action<SceneError>? Error;

    /// <summary>The most recent error, for a status line.</summary>
    public SceneError? LastError { get; private set; }

    internal Lifecycle Lifecycle { get; }

    /// <summary>Creates an entity at the root or under <paramref name="parent"/>; names are unique among siblings.</summary>
    public Entity CreateEntity(string name, Entity? parent = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parent is not null && (parent.Scene != this || parent.IsDestroyed))
            throw new GlassboxException($"Parent '{parent.Path}' is not a live entity of scene '{Name}'.");
        var siblings = parent?.Children ?? _roots;
        if (siblings.Any(s => s.Name == name))
            throw new GlassboxException($"'{(parent is null ? name : $"{parent.Path}/{name}")}' already exists; sibling entities need different names.");
        var entity = new Entity(this, name, parent);
        if (parent is null)
            _roots.Add(entity);
        else
            parent.AddChild(entity);
        StructureChanged();
        return entity;
    }

    /// <summary>The entity at "Root/Child", or null.</summary>
    public Entity? Find(string path)
    {
        Entity? current = null;
        foreach (var part in path.Split('/'))
        {
            current = (current?.Children ?? _roots).FirstOrDefault(e => e.Name == part);
            if (current is null)
                return null;
        }
        return current;
    }

    /// <summary>Every entity, depth-first in tree order.</summary>
    public IEnumerable<Entity> Entities() => _roots.SelectMany(Walk);

    /// <summary>
    /// Active components of type <typeparamref name="T"/>, depth-first in tree order. Components call this
    /// every frame, so enumerating it (and its FirstOrDefault and Any) allocates nothing.
    /// </summary>
    public ActiveComponents<T> Active<T>() where T : class => new(Components());

    internal void StructureChanged() => _components = null;

    private enum Phase
    {
        Update,
        LateUpdate,
        Render,
    }

    // One loop for the per-frame phases, without a delegate per call: a frame allocates nothing here.
    private void RunPhase(List<Component> components, Phase phase, FrameTime time, IRenderer? renderer)
    {
        foreach (var component in components)
        {
            if (!component.Started || !component.IsActive || component.Skipped)
                continue;
            try
            {
                switch (phase)
                {
                    case Phase.Update: component.Update(time); break;
                    case Phase.LateUpdate: component.LateUpdate(time); break;
                    default: component.Render(renderer!); break;
                }
            }
            catch (Exception e)
            {
                Report(component.ToString(), phase.ToString(), e);
            }
        }
    }

    private List<Component> Components()
    {
        if (_components is null)
        {
            var all = new List<Component>();
            foreach (var root in _roots)
                Collect(root, all);
            _components = all;
        }
        return _components;

        static void Collect(Entity entity, List<Component> all)
        {
            all.AddRange(entity.Components);
            foreach (var child in entity.Children)
                Collect(child, all);
        }
    }

    /// <summary>
    /// Offers a letter key (from the host's keyboard or an on-screen button) to the active
    /// <see cref="IKeyHandler"/>s in tree order until one uses it; returns whether one did.
    /// </summary>
    public bool SendKey(char key)
    {
        key = char.ToLowerInvariant(key);
        KeySent?.Invoke(key);
        DispatchingKey = true;
        try
        {
            foreach (var handler in Active<IKeyHandler>())
            {
                if (handler.OnKey(key))
                    return true;
            }
            return false;
        }
        finally
        {
            DispatchingKey = false;
        }
    }

    /// <summary>Offers a pointer press to the active <see cref="IPointerHandler"/>s in tree order until one uses it; returns whether one did.</summary>
    public bool SendPointerDown(float x, float y)
    {
        foreach (var handler in Active<IPointerHandler>())
        {
            if (handler.OnPointerDown(x, y))
                return true;
        }
        return false;
    }

    /// <summary>Tells every active <see cref="IPointerHandler"/> where the pointer is.</summary>
    public void SendPointerMove(float x, float y)
    {
        foreach (var handler in Active<IPointerHandler>())
            handler.OnPointerMove(x, y);
    }

    /// <summary>Tells every active <see cref="IPointerHandler"/> the press ended.</summary>
    public void SendPointerUp(float x, float y)
    {
        foreach (var handler in Active<IPointerHandler>())
            handler.OnPointerUp(x, y);
    }

    /// <summary>Raised for every key sent, before the handlers see it (a recorder keeps them).</summary>
    public event Action<char>? KeySent;

    /// <summary>True while a key is with its handlers: what changes now is the key's doing, not separate input.</summary>
    public bool DispatchingKey { get; private set; }

    public T AddSystem<T>(T system) where T : ISystem
    {
        ArgumentNullException.ThrowIfNull(system);
        int index = _systems.FindLastIndex(s => s.Order <= system.Order) + 1;
        _systems.Insert(index, system);
        _systemsInOrder = null;
        return system;
    }

    /// <summary>Runs one frame's logic (everything but Render).</summary>
    public void Update(FrameTime time)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Time = time;
        _inFrame = true;
        try
        {
            var components = Components();
            foreach (var component in components)
            {
                if (component.IsActive && !component.Started)
                {
                    component.Started = true;
                    Guard(component, "Start", static c => c.Start());
                }
            }
            var systems = _systemsInOrder ??= [.. _systems];
            foreach (var system in systems)
            {
                if (system.Order < 0)
                    Guard(system, time);
            }
            RunPhase(components, Phase.Update, time, null);
            RunPhase(components, Phase.LateUpdate, time, null);
            foreach (var system in systems)
            {
                if (system.Order >= 0)
                    Guard(system, time);
            }
        }
        finally
        {
            _inFrame = false;
            FlushDestroyed();
        }
    }

    /// <summary>Draws the frame: Render of every active, started component in tree order.</summary>
    public void Render(IRenderer renderer)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        RunPhase(Components(), Phase.Render, Time, renderer);
    }

    /// <summary>Destroys every entity (OnDisable and OnDestroy run) and the systems that are disposable.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        foreach (var root in _roots.ToList())
            DestroyNow(root);
        foreach (var system in _systems.OfType<IDisposable>())
            system.Dispose();
        _systems.Clear();
        _disposed = true;
    }

    internal void Destroy(Entity entity)
    {
        if (entity.IsDestroyed || _pendingDestroy.Contains(entity))
            return;
        if (_inFrame)
        {
            // The rest of this frame skips it; its OnDisable and OnDestroy run at the end of the frame.
            foreach (var component in Walk(entity).SelectMany(e => e.Components))
                component.Skipped = true;
            _pendingDestroy.Add(entity);
            _destroyRequested = true;
        }
        else
        {
            DestroyNow(entity);
        }
    }

    internal void Destroy(Component component)
    {
        if (component.IsDestroyed)
            return;
        if (_inFrame)
        {
            component.Skipped = true;
            component.PendingDestroy = true;
            _destroyRequested = true;
            return;
        }
        DestroyComponentNow(component);
    }

    internal void Report(string source, string phase, Exception exception)
    {
        LastError = new SceneError(source, phase, exception);
        Error?.Invoke(LastError);
    }

    internal void Guard(Component component, string phase, Action<Component> call)
    {
        if (!component.IsActive || component.Skipped)
            return;
        try
        {
            call(component);
        }
        catch (Exception e)
        {
            Report(component.ToString(), phase, e);
        }
    }

    private void Guard(ISystem system, FrameTime time)
    {
        try
        {
            system.Update(this, time);
        }
        catch (Exception e)
        {
            Report(system.GetType().Name, "Update", e);
        }
    }

    private void FlushDestroyed()
    {
        if (!_destroyRequested)
            return;
        _destroyRequested = false;
        foreach (var entity in _pendingDestroy.ToList())
            DestroyNow(entity);
        _pendingDestroy.Clear();
        foreach (var component in Entities().SelectMany(e => e.Components).Where(c => c.PendingDestroy).ToList())
            DestroyComponentNow(component);
        foreach (var component in Entities().SelectMany(e => e.Components))
            component.Skipped = false;
    }

    private void DestroyNow(Entity entity)
    {
        if (entity.IsDestroyed)
            return;
        foreach (var child in entity.Children.ToList())
            DestroyNow(child);
        foreach (var component in entity.Components.ToList())
            DestroyComponentNow(component);
        entity.IsDestroyed = true;
        if (entity.Parent is null)
            _roots.Remove(entity);
        else
            entity.Parent.RemoveChild(entity);
        StructureChanged();
    }

    private void DestroyComponentNow(Component component)
    {
        if (component.EnabledCalled)
        {
            component.EnabledCalled = false;
            Invoke(component, "OnDisable", c => c.OnDisable());
        }
        if (component.Awoken)
            Invoke(component, "OnDestroy", c => c.OnDestroy());
        component.IsDestroyed = true;
        component.Entity.RemoveComponent(component);
    }

    // Teardown calls run whatever the component's state, since it is leaving.
    private void Invoke(Component component, string phase, Action<Component> call)
    {
        try
        {
            call(component);
        }
        catch (Exception e)
        {
            Report(component.ToString(), phase, e);
        }
    }

    private static IEnumerable<Entity> Walk(Entity entity) => entity.Children.SelectMany(Walk).Prepend(entity);
}

/// <summary>
/// What <see cref="Scene.Active{T}"/> returns: the active components of a type, enumerated over the
/// scene's component list with a struct enumerator, so a frame's lookups allocate nothing.
/// </summary>
public readonly struct ActiveComponents<T> : IEnumerable<T> where T : class
{
    private readonly List<Component> _components;

    internal ActiveComponents(List<Component> components) => _components = components;

    // The API analyzer takes a generic type's nested struct for an oblivious reference type (it is neither).
#pragma warning disable RS0041
    public Enumerator GetEnumerator() => new(_components);
#pragma warning restore RS0041

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The first active one in tree order, or null (without LINQ's boxing).</summary>
    public T? FirstOrDefault()
    {
        foreach (var component in _components)
        {
            if (component.IsActive && component is T match)
                return match;
        }
        return null;
    }

    public bool Any() => FirstOrDefault() is not null;

    public struct Enumerator(List<Component> components) : IEnumerator<T>
    {
        private int _index = -1;

        public T Current { get; private set; } = null!;

        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            while (++_index < components.Count)
            {
                if (components[_index].IsActive && components[_index] is T match)
                {
                    Current = match;
                    return true;
                }
            }
            return false;
        }

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}

/// <summary>Turns enable/disable and activity changes into Awake, OnEnable and OnDisable calls.</summary>
internal sealed class Lifecycle(Scene scene)
{
    public void Added(Component component) => Refresh(component);

    public void Refresh(Component component)
    {
        if (component.IsDestroyed || component.Entity is null)
            return;
        if (!component.Awoken && component.Entity.ActiveInHierarchy)
        {
            component.Awoken = true;
            Call(component, "Awake", c => c.Awake());
        }
        bool active = component.IsActive;
        if (active && !component.EnabledCalled && component.Awoken)
        {
            component.EnabledCalled = true;
            Call(component, "OnEnable", c => c.OnEnable());
        }
        else if (!active && component.EnabledCalled)
        {
            component.EnabledCalled = false;
            Call(component, "OnDisable", c => c.OnDisable());
        }
    }

    public void RefreshTree(Entity entity)
    {
        foreach (var component in entity.Components.ToList())
            Refresh(component);
        foreach (var child in entity.Children.ToList())
            RefreshTree(child);
    }

    private void Call(Component component, string phase, Action<Component> call)
    {
        try
        {
            call(component);
        }
        catch (Exception e)
        {
            scene.Report(component.ToString(), phase, e);
        }
    }
}

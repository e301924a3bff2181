namespace Glassbox.Engine;

/// <summary>
/// A named node of the scene: children and components. Activity is inherited: an entity is active
/// in the hierarchy when it and all its ancestors are active.
/// </summary>
public sealed class Entity
{
    private readonly List<Entity> _children = [];
    private readonly List<Component> _components = [];
    private bool _active = true;

    internal Entity(Scene scene, string name, Entity? parent)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/'))
            throw new GlassboxException($"Entity name '{name}' is not valid: give a non-empty name without '/' (paths use it).");
        Scene = scene;
        Name = name;
        Parent = parent;
    }

    public Scene Scene { get; }

    public string Name { get; }

    public Entity? Parent { get; }

    public IReadOnlyList<Entity> Children => _children;

    public IReadOnlyList<Component> Components => _components;

    /// <summary>"Root/Child/Grandchild".</summary>
    public string Path => Parent is null ? Name : $"{Parent.Path}/{Name}";

    public bool IsDestroyed { get; internal set; }

    /// <summary>The entity's own switch.</summary>
    public bool Active
    {
        get => _active;
        set
        {
            if (_active == value)
                return;
            _active = value;
            Scene.Lifecycle.RefreshTree(this);
        }
    }

    public bool ActiveInHierarchy => _active && !IsDestroyed && (Parent?.ActiveInHierarchy ?? true);

    public Entity CreateChild(string name) => Scene.CreateEntity(name, this);

    /// <summary>Adds a component; in a running scene it wakes (and enables) at once.</summary>
    public T Add<T>(T component) where T : Component
    {
        ArgumentNullException.ThrowIfNull(component);
        if (IsDestroyed)
            throw new GlassboxException($"Entity '{Path}' is destroyed; add components to a live entity.");
        if (component.Entity is not null)
            throw new GlassboxException($"{component.GetType().Name} already belongs to '{component.Entity.Path}'; a component lives on one entity.");
        component.Entity = this;
        _components.Add(component);
        Scene.StructureChanged();
        Scene.Lifecycle.Added(component);
        return component;
    }

    public T Add<T>() where T : Component, new() => Add(new T());

    /// <summary>The first component of type <typeparamref name="T"/>, or null.</summary>
    public T? Get<T>() where T : class => _components.OfType<T>().FirstOrDefault(c => c is Component { IsDestroyed: false });

    /// <summary>The first component of type <typeparamref name="T"/> here or in a descendant, depth-first.</summary>
    public T? Find<T>() where T : class => Get<T>() ?? _children.Select(c => c.Find<T>()).FirstOrDefault(c => c is not null);

    /// <summary>Destroys this entity, its children and their components at the end of the current frame (at once outside a frame).</summary>
    public void Destroy() => Scene.Destroy(this);

    internal void AddChild(Entity child)
    {
        _children.Add(child);
        Scene.StructureChanged();
    }

    internal void RemoveChild(Entity child)
    {
        _children.Remove(child);
        Scene.StructureChanged();
    }

    internal void RemoveComponent(Component component)
    {
        _components.Remove(component);
        Scene.StructureChanged();
    }

    public override string ToString() => Path;
}

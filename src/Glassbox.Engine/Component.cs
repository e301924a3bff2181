using Glassbox.Visualisation;

namespace Glassbox.Engine;

/// <summary>
/// Data and, where it is clearer than a system, behaviour attached to an <see cref="Entity"/>.
/// The scene calls the lifecycle in a fixed order (see <see cref="Scene"/>): Awake once when the
/// component joins a running scene, OnEnable each time it becomes active, Start once before its first
/// Update, then Update, LateUpdate and Render every frame while active, OnDisable when it stops being
/// active, OnDestroy once when it is destroyed. Every call happens on the scene's thread.
/// </summary>
public abstract class Component
{
    private bool _enabled = true;

    /// <summary>The entity holding this component; null before it is added.</summary>
    public Entity Entity { get; internal set; } = null!;

    public Scene Scene => Entity.Scene;

    /// <summary>The component's own switch; it is active when enabled and its entity is active in the hierarchy.</summary>
    public bool Enabled
    {
        get => _enabled;
        set
        {
            if (_enabled == value)
                return;
            _enabled = value;
            Entity?.Scene.Lifecycle.Refresh(this);
        }
    }

    /// <summary>True while the lifecycle runs it: enabled, entity active, not destroyed.</summary>
    public bool IsActive => _enabled && Entity is { ActiveInHierarchy: true, IsDestroyed: false } && !IsDestroyed;

    public bool IsDestroyed { get; internal set; }

    /// <summary>Destroys this component at the end of the current frame (at once outside a frame).</summary>
    public void Destroy() => Entity?.Scene.Destroy(this);

    private bool _ambiguityReported;

    /// <summary>
    /// The component of type <typeparamref name="T"/> this one reads: <paramref name="named"/> when it is set (null
    /// while that one is not active), else the scene's only active one. With none, null; with several and none
    /// named, null too, and the scene reports once which to name (a component never picks "the first").
    /// </summary>
    /// <param name="field">How the reference is named, in code and as a scene file's field ("inference").</param>
    protected T? Referenced<T>(T? named, string field) where T : Component
    {
        if (named is not null)
            return named.IsActive ? named : null;
        T? only = null;
        foreach (var candidate in Scene.Active<T>())
        {
            if (only is null)
            {
                only = candidate;
                continue;
            }
            if (!_ambiguityReported)
            {
                _ambiguityReported = true;
                var holders = string.Join(", ", Scene.Active<T>().ToList().Select(c => $"'{c.Entity.Path}'"));
                Scene.Report(ToString(), "Reference", new GlassboxException(
                    $"{this} reads a {typeof(T).Name} and the scene has several ({holders}); name the one to read: \"{field}\": \"ENTITY\" in the scene file, or its {char.ToUpperInvariant(field[0]) + field[1..]} property in code."));
            }
            return null;
        }
        return only;
    }

    internal bool Awoken { get; set; }
    internal bool Skipped { get; set; }
    internal bool PendingDestroy { get; set; }
    internal bool Started { get; set; }
    internal bool EnabledCalled { get; set; }

    protected internal virtual void Awake()
    {
    }

    protected internal virtual void OnEnable()
    {
    }

    protected internal virtual void Start()
    {
    }

    protected internal virtual void Update(FrameTime time)
    {
    }

    protected internal virtual void LateUpdate(FrameTime time)
    {
    }

    protected internal virtual void Render(IRenderer renderer)
    {
    }

    protected internal virtual void OnDisable()
    {
    }

    protected internal virtual void OnDestroy()
    {
    }

    public override string ToString() => $"{GetType().Name} on {Entity?.Path ?? "(no entity)"}";
}

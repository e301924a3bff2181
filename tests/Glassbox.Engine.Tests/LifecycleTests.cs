using Glassbox.Engine;
using Glassbox.Visualisation;

namespace Glassbox.Tests;

/// <summary>The order of lifecycle calls, enable/disable, destruction during a frame and errors, with the null renderer.</summary>
public class LifecycleTests
{
    private sealed class Probe(List<string> log, string name) : Component
    {
        public Action<Probe>? OnUpdate { get; set; }

        protected internal override void Awake() => log.Add($"{name}.Awake");
        protected internal override void OnEnable() => log.Add($"{name}.OnEnable");
        protected internal override void Start() => log.Add($"{name}.Start");
        protected internal override void Update(FrameTime time)
        {
            log.Add($"{name}.Update{time.Frame}");
            OnUpdate?.Invoke(this);
        }
        protected internal override void LateUpdate(FrameTime time) => log.Add($"{name}.LateUpdate{time.Frame}");
        protected internal override void Render(IRenderer renderer) => log.Add($"{name}.Render");
        protected internal override void OnDisable() => log.Add($"{name}.OnDisable");
        protected internal override void OnDestroy() => log.Add($"{name}.OnDestroy");
    }

    private sealed class RecordingSystem(List<string> log, int order) : ISystem
    {
        public int Order => order;

        public void Update(Scene scene, FrameTime time) => log.Add($"system{order}");
    }

    private static FrameTime Frame(long n) => new(n, TimeSpan.FromSeconds(n / 60.0), TimeSpan.FromSeconds(1 / 60.0));

    [Test]
    public void A_frame_runs_start_systems_update_late_update_and_render_in_tree_order()
    {
        var log = new List<string>();
        using var scene = new Scene();
        var root = scene.CreateEntity("Root");
        root.Add(new Probe(log, "a"));
        root.CreateChild("Child").Add(new Probe(log, "b"));
        scene.CreateEntity("Second").Add(new Probe(log, "c"));
        scene.AddSystem(new RecordingSystem(log, 10));
        scene.AddSystem(new RecordingSystem(log, -1));
        Assert.That(log, Is.EqualTo(new[] { "a.Awake", "a.OnEnable", "b.Awake", "b.OnEnable", "c.Awake", "c.OnEnable" }));

        log.Clear();
        scene.Update(Frame(1));
        scene.Render(new NullRenderer());
        Assert.That(log, Is.EqualTo(new[]
        {
            "a.Start", "b.Start", "c.Start", "system-1",
            "a.Update1", "b.Update1", "c.Update1", "a.LateUpdate1", "b.LateUpdate1", "c.LateUpdate1",
            "system10", "a.Render", "b.Render", "c.Render",
        }));

        log.Clear();
        scene.Update(Frame(2));
        Assert.That(log, Does.Not.Contain("a.Start"), "Start runs once");
    }

    [Test]
    public void Disabling_a_component_or_an_ancestor_stops_it_and_enabling_resumes_without_a_second_awake_or_start()
    {
        var log = new List<string>();
        using var scene = new Scene();
        var root = scene.CreateEntity("Root");
        var probe = root.CreateChild("Child").Add(new Probe(log, "p"));
        scene.Update(Frame(1));

        log.Clear();
        probe.Enabled = false;
        scene.Update(Frame(2));
        root.Active = false;
        probe.Enabled = true;
        scene.Update(Frame(3));
        root.Active = true;
        scene.Update(Frame(4));
        Assert.That(log, Is.EqualTo(new[] { "p.OnDisable", "p.OnEnable", "p.Update4", "p.LateUpdate4" }));
    }

    [Test]
    public void A_component_added_to_an_inactive_entity_wakes_when_the_entity_activates()
    {
        var log = new List<string>();
        using var scene = new Scene();
        var entity = scene.CreateEntity("Hidden");
        entity.Active = false;
        entity.Add(new Probe(log, "p"));
        Assert.That(log, Is.Empty);
        entity.Active = true;
        Assert.That(log, Is.EqualTo(new[] { "p.Awake", "p.OnEnable" }));
    }

    [Test]
    public void Destroy_during_update_skips_the_rest_of_the_frame_and_tears_down_at_its_end_children_first()
    {
        var log = new List<string>();
        using var scene = new Scene();
        var first = scene.CreateEntity("First");
        var victim = scene.CreateEntity("Victim");
        victim.Add(new Probe(log, "v"));
        victim.CreateChild("Inner").Add(new Probe(log, "i"));
        first.Add(new Probe(log, "f") { OnUpdate = _ => victim.Destroy() });
        scene.Update(Frame(1));
        Assert.That(log.SkipWhile(l => !l.StartsWith("f.Update")), Is.EqualTo(new[]
        {
            "f.Update1", "f.LateUpdate1", "i.OnDisable", "i.OnDestroy", "v.OnDisable", "v.OnDestroy",
        }));
        Assert.That(scene.Find("Victim"), Is.Null);
        Assert.That(victim.IsDestroyed, Is.True);
    }

    [Test]
    public void A_component_added_during_update_wakes_at_once_and_starts_next_frame()
    {
        var log = new List<string>();
        using var scene = new Scene();
        var entity = scene.CreateEntity("E");
        bool added = false;
        entity.Add(new Probe(log, "a")
        {
            OnUpdate = p =>
            {
                if (added)
                    return;
                added = true;
                p.Entity.Add(new Probe(log, "late"));
            },
        });
        scene.Update(Frame(1));
        scene.Update(Frame(2));
        Assert.That(log.Where(l => l.StartsWith("late", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "late.Awake", "late.OnEnable", "late.Start", "late.Update2", "late.LateUpdate2",
        }));
    }

    [Test]
    public void An_exception_is_reported_and_the_frame_goes_on()
    {
        var log = new List<string>();
        var errors = new List<SceneError>();
        using var scene = new Scene();
        scene.Error += errors.Add;
        scene.CreateEntity("Bad").Add(new Probe(log, "bad") { OnUpdate = _ => throw new InvalidOperationException("camera unplugged") });
        scene.CreateEntity("Good").Add(new Probe(log, "good"));
        scene.Update(Frame(1));
        Assert.That(log, Does.Contain("good.Update1").And.Contain("bad.LateUpdate1"));
        Assert.That(errors.Select(e => e.ToString()), Is.EqualTo(new[] { "Probe on Bad: Update failed: camera unplugged" }));
        Assert.That(scene.LastError, Is.EqualTo(errors[0]));
    }

    [Test]
    public void Disposing_the_scene_disables_and_destroys_everything()
    {
        var log = new List<string>();
        var scene = new Scene();
        scene.CreateEntity("A").Add(new Probe(log, "a"));
        scene.Update(Frame(1));
        log.Clear();
        scene.Dispose();
        Assert.That(log, Is.EqualTo(new[] { "a.OnDisable", "a.OnDestroy" }));
    }

    [Test]
    public void Names_are_unique_among_siblings_and_paths_find_entities()
    {
        using var scene = new Scene();
        var root = scene.CreateEntity("UI");
        var bars = root.CreateChild("Bars");
        Assert.That(scene.Find("UI/Bars"), Is.SameAs(bars));
        Assert.That(bars.Path, Is.EqualTo("UI/Bars"));
        Assert.That(Assert.Throws<GlassboxException>(() => root.CreateChild("Bars"))!.Message,
            Is.EqualTo("'UI/Bars' already exists; sibling entities need different names."));
        Assert.That(Assert.Throws<GlassboxException>(() => scene.CreateEntity("a/b"))!.Message, Does.Contain("without '/'"));
    }

    [Test]
    public void The_null_renderer_records_what_labels_draw()
    {
        using var scene = new Scene();
        scene.CreateEntity("Title").Add(new Label { Text = "Draw a digit", X = 20, Y = 30 });
        scene.CreateEntity("Empty").Add(new Label());
        var renderer = new NullRenderer();
        scene.Update(Frame(1));
        scene.Render(renderer);
        Assert.That(renderer.Calls, Is.EqualTo(new[] { "text 20,30 'Draw a digit'" }));
    }
}

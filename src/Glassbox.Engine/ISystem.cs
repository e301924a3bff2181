namespace Glassbox.Engine;

/// <summary>
/// Behaviour over many components, run by the scene each frame in <see cref="Order"/> (lower first;
/// equal orders keep the order they were added in). Systems with a negative order run before the
/// components' Update, the others after their LateUpdate.
/// </summary>
public interface ISystem
{
    int Order { get; }

    void Update(Scene scene, FrameTime time);
}

/// <summary>An exception thrown by a component or system; the scene reports it and goes on with the frame.</summary>
public sealed record SceneError(string Source, string Phase, Exception Exception)
{
    public override string ToString() => $"{Source}: {Phase} failed: {Exception.Message}";
}

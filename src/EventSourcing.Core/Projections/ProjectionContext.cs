using EventSourcing.Documents;

namespace EventSourcing.Projections;

/// <summary>
/// What a projection is running in: its backend's unit of work (backends derive from this to expose
/// e.g. their connection and transaction) and whether it is building a shadow read model for a rebuild.
/// </summary>
public class ProjectionContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="projectionName">The projection's name.</param>
    /// <param name="isRebuild">True when the projection must write to its shadow read model.</param>
    public ProjectionContext(string projectionName, bool isRebuild)
    {
        ProjectionName = projectionName;
        IsRebuild = isRebuild;
    }

    /// <summary>The projection's name.</summary>
    public string ProjectionName { get; }

    /// <summary>True during a rebuild: write to the shadow read model, which <see cref="IRebuildableProjection.SwapAsync"/> later makes live.</summary>
    public bool IsRebuild { get; }

    /// <summary>The backend's document session in this unit of work (what views write through); null when the backend stores no documents.</summary>
    public IDocumentSession? Documents { get; init; }
}

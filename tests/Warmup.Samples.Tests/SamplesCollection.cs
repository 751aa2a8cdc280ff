namespace Warmup.Samples.Tests;

/// <summary>The samples tests share one run of the Quick start (it fills the local feed) and never run in parallel.</summary>
[CollectionDefinition(Name)]
public sealed class SamplesCollection : ICollectionFixture<QuickStartFixture>
{
    public const string Name = "Samples";
}

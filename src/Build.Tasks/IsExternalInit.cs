#if !NET
namespace System.Runtime.CompilerServices;

/// <summary>Lets the net472 build compile the protocol's records (init accessors); .NET has the type built in.</summary>
internal static class IsExternalInit
{
}
#endif

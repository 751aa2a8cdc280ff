using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Warmup.Format;

namespace Warmup.Runtime.Hosting;

/// <summary>A served request shape and how often it was served.</summary>
/// <param name="Shape">Signature and each input's name (the session's), dtype and shape.</param>
/// <param name="Count">Requests served at this shape.</param>
/// <param name="FirstSeen">When the first one was served.</param>
/// <param name="Warmed">Whether the warmup ran this shape.</param>
public sealed record ServedRequestShape(RequestShape Shape, long Count, DateTimeOffset FirstSeen, bool Warmed);

/// <summary>A point-in-time view of a model's coverage: which served request shapes its warmup ran.</summary>
public sealed record WarmupCoverageSnapshot
{
    /// <summary>The model's registered name.</summary>
    public required string Model { get; init; }

    /// <summary>The shapes the warmup replay ran, in replay order.</summary>
    public required IReadOnlyList<RequestShape> WarmedShapes { get; init; }

    /// <summary>Served shapes (at most <see cref="WarmupCoverageOptions.MaxDistinctShapes"/>), most served first, ties by first seen.</summary>
    public required IReadOnlyList<ServedRequestShape> ServedShapes { get; init; }

    /// <summary>Requests served through the serving API since the model was warm.</summary>
    public long Requests { get; init; }

    /// <summary>Requests whose shape the warmup ran.</summary>
    public long CoveredRequests { get; init; }

    /// <summary>Requests whose shape the warmup did not run (what <c>warmup.uncovered_requests</c> counts).</summary>
    public long UncoveredRequests => Requests - CoveredRequests;

    /// <summary>Covered requests / requests; 1 when nothing was served yet.</summary>
    public double CoveredFraction => Requests == 0 ? 1.0 : (double)CoveredRequests / Requests;

    /// <summary>Requests of shapes beyond the distinct-shape limit (counted in the totals, not per shape).</summary>
    public long OverflowRequests { get; init; }
}

/// <summary>
/// Compares served request shapes with the warmed ones. Lock-free on the request path: a repeat of the thread's previous
/// shape costs a comparison and one interlocked increment; another known shape a dictionary lookup more; a new shape one
/// frozen-set lookup, one insertion (bounded) and one log line.
/// </summary>
internal sealed class WarmupCoverage
{
    private readonly string _model;
    private readonly WarmupInstruments _instruments;
    private readonly RequestShape[] _warmedInOrder;
    private readonly FrozenSet<RequestShape> _warmed;
    private readonly ConcurrentDictionary<RequestShape, Served> _served = new();
    private readonly int _maxShapes;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _distinct;
    private long _overflow;
    private long _overflowCovered;
    private int _overflowLogged;

    public WarmupCoverage(string model, IEnumerable<RequestShape> warmed, int maxShapes, ILogger logger, WarmupInstruments instruments, TimeProvider? time = null)
    {
        _model = model;
        _instruments = instruments;
        _warmedInOrder = warmed.Distinct().ToArray();
        _warmed = _warmedInOrder.ToFrozenSet();
        _maxShapes = maxShapes;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Counts one served request given its inputs in the caller's order, and returns its shape. A thread serving the same
    /// shape as its previous request (the common case) compares the inputs with that one and allocates nothing.
    /// </summary>
    public RequestShape Observe(string signature, ReadOnlySpan<RequestInputShape> inputs)
    {
        if (t_last is { } last && ReferenceEquals(last.Owner, this) && string.Equals(last.Signature, signature, StringComparison.Ordinal)
            && inputs.SequenceEqual(last.Inputs))
        {
            Count(last.Shape, last.Served);
            return last.Shape;
        }

        var shape = new RequestShape(signature, inputs.ToArray());
        var served = Observe(shape);
        t_last = served is null ? null : new LastShape(this, signature, inputs.ToArray(), shape, served);
        return shape;
    }

    /// <summary>Counts one served request of <paramref name="shape"/>; returns its counter (null beyond the distinct-shape limit).</summary>
    public Served? Observe(RequestShape shape)
    {
        if (!_served.TryGetValue(shape, out var served))
        {
            served = Add(shape, _warmed.Contains(shape));
            if (served is null)
            {
                return null;
            }
        }

        Count(shape, served);
        return served;
    }

    private void Count(RequestShape shape, Served served)
    {
        Interlocked.Increment(ref served.Count);
        if (!served.Warmed)
        {
            _instruments.UncoveredRequests.Add(1, new KeyValuePair<string, object?>("model", _model), new KeyValuePair<string, object?>("signature", shape.Signature));
        }
    }

    private Served? Add(RequestShape shape, bool warmed)
    {
        // Reserve a slot first so that the bound holds under races; give it back when another thread added the shape.
        if (Interlocked.Increment(ref _distinct) > _maxShapes)
        {
            Interlocked.Decrement(ref _distinct);
            if (_served.TryGetValue(shape, out var existing))
            {
                return existing;
            }

            Interlocked.Increment(ref _overflow);
            if (warmed)
            {
                Interlocked.Increment(ref _overflowCovered);
            }
            else
            {
                _instruments.UncoveredRequests.Add(1, new KeyValuePair<string, object?>("model", _model), new KeyValuePair<string, object?>("signature", shape.Signature));
            }

            if (Interlocked.Exchange(ref _overflowLogged, 1) == 0)
            {
                Log.CoverageOverflow(_logger, _model, _maxShapes);
            }

            return null;
        }

        var candidate = new Served(_time.GetUtcNow(), warmed);
        var served = _served.GetOrAdd(shape, candidate);
        if (!ReferenceEquals(served, candidate))
        {
            Interlocked.Decrement(ref _distinct);
        }
        else if (!warmed && _logger.IsEnabled(LogLevel.Information))
        {
            Log.UncoveredShape(_logger, _model, shape);
        }

        return served;
    }

    public WarmupCoverageSnapshot Snapshot()
    {
        var served = _served
            .Select(p => new ServedRequestShape(p.Key, Interlocked.Read(ref p.Value.Count), p.Value.FirstSeen, p.Value.Warmed))
            .OrderByDescending(s => s.Count).ThenBy(s => s.FirstSeen).ThenBy(s => s.Shape.ToString(), StringComparer.Ordinal)
            .ToArray();
        var overflow = Interlocked.Read(ref _overflow);
        return new WarmupCoverageSnapshot
        {
            Model = _model,
            WarmedShapes = _warmedInOrder,
            ServedShapes = served,
            Requests = served.Sum(s => s.Count) + overflow,
            CoveredRequests = served.Where(s => s.Warmed).Sum(s => s.Count) + Interlocked.Read(ref _overflowCovered),
            OverflowRequests = overflow,
        };
    }

    [ThreadStatic]
    private static LastShape? t_last;

    /// <summary>The shape a thread served last, with its inputs in that caller's order.</summary>
    private sealed record LastShape(WarmupCoverage Owner, string Signature, RequestInputShape[] Inputs, RequestShape Shape, Served Served);

    internal sealed class Served(DateTimeOffset firstSeen, bool warmed)
    {
        public long Count;

        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public bool Warmed { get; } = warmed;
    }
}

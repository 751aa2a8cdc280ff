using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Warmup.Format.Protos.Serving;

namespace Warmup.Format;

/// <summary>
/// Serializes messages so that the same content always gives the same bytes: map entries are written in ordinal key
/// order (Google.Protobuf writes them in insertion order). Fields are already written in field-number order.
/// </summary>
public static class DeterministicProto
{
    /// <summary>Serializes <paramref name="log"/> with every map sorted by key. The argument is not modified.</summary>
    public static byte[] Serialize(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (MapsAreSorted(log))
        {
            return log.ToByteArray();
        }

        var copy = log.Clone();
        SortMaps(copy);
        return copy.ToByteArray();
    }

    /// <summary>Sorts every map in <paramref name="message"/> and its sub-messages by key, in place.</summary>
    internal static void SortMaps(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Visit(message, sort: true);
    }

    /// <summary>True when every map in <paramref name="message"/> and its sub-messages is already in key order.</summary>
    internal static bool MapsAreSorted(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Visit(message, sort: false);
    }

    // Returns false as soon as an unsorted map is seen when not sorting.
    private static bool Visit(IMessage message, bool sort)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message && field.FieldType != FieldType.Group)
            {
                continue;
            }

            var value = field.Accessor.GetValue(message);
            if (value is null)
            {
                continue;
            }

            if (field.IsMap)
            {
                var map = (IDictionary)value;
                if (!IsSorted(map))
                {
                    if (!sort)
                    {
                        return false;
                    }

                    Reorder(map);
                }

                if (field.MessageType.FindFieldByNumber(2).FieldType == FieldType.Message)
                {
                    foreach (var item in map.Values)
                    {
                        if (item is IMessage child && !Visit(child, sort) && !sort)
                        {
                            return false;
                        }
                    }
                }
            }
            else if (field.IsRepeated)
            {
                foreach (var item in (IList)value)
                {
                    if (item is IMessage child && !Visit(child, sort) && !sort)
                    {
                        return false;
                    }
                }
            }
            else if (value is IMessage child && !Visit(child, sort) && !sort)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSorted(IDictionary map)
    {
        object? previous = null;
        foreach (var key in map.Keys)
        {
            if (previous is not null && Compare(previous, key) > 0)
            {
                return false;
            }

            previous = key;
        }

        return true;
    }

    private static void Reorder(IDictionary map)
    {
        var entries = new List<DictionaryEntry>(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            entries.Add(entry);
        }

        entries.Sort((a, b) => Compare(a.Key, b.Key));
        map.Clear();
        foreach (var entry in entries)
        {
            map.Add(entry.Key, entry.Value);
        }
    }

    private static int Compare(object a, object b) => a is string x && b is string y
        ? string.CompareOrdinal(x, y)
        : Comparer.Default.Compare(a, b);
}

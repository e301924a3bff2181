// The newer .NET APIs the engine-agnostic assemblies call, written over what netstandard2.1 has, as
// extension members so the code reads the same on both targets.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Glassbox;

internal static class NetStandardPolyfills
{
    extension(Enum)
    {
        public static bool IsDefined<T>(T value) where T : struct, Enum => Enum.IsDefined(typeof(T), value);

        public static string[] GetNames<T>() where T : struct, Enum => Enum.GetNames(typeof(T));
    }

    extension(ArgumentNullException)
    {
        public static void ThrowIfNull(object? argument, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
        {
            if (argument is null)
                throw new ArgumentNullException(paramName);
        }
    }

    extension(ObjectDisposedException)
    {
        public static void ThrowIf(bool condition, object instance)
        {
            if (condition)
                throw new ObjectDisposedException(instance.GetType().FullName);
        }
    }

    extension<T>(IEnumerable<T> source)
    {
        public IOrderedEnumerable<T> Order() => source.OrderBy(x => x);

        public IOrderedEnumerable<T> Order(IComparer<T> comparer) => source.OrderBy(x => x, comparer);

        /// <summary>The first element with the smallest key; throws on an empty sequence, as the newer method.</summary>
        public T MinBy<TKey>(Func<T, TKey> key) => FirstBy(source, key, preferred: -1);

        /// <summary>The first element with the largest key; throws on an empty sequence, as the newer method.</summary>
        public T MaxBy<TKey>(Func<T, TKey> key) => FirstBy(source, key, preferred: 1);
    }

    // The first element whose key compares with the others' as `preferred` says (-1 smallest, 1 largest).
    private static T FirstBy<T, TKey>(IEnumerable<T> source, Func<T, TKey> key, int preferred)
    {
        var comparer = Comparer<TKey>.Default;
        using var e = source.GetEnumerator();
        if (!e.MoveNext())
            throw new InvalidOperationException("Sequence contains no elements");
        T best = e.Current;
        TKey bestKey = key(best);
        while (e.MoveNext())
        {
            TKey k = key(e.Current);
            if (Math.Sign(comparer.Compare(k, bestKey)) == preferred)
            {
                best = e.Current;
                bestKey = k;
            }
        }
        return best;
    }

    extension(string)
    {
        /// <summary>An interpolated string formatted with <paramref name="provider"/> (through FormattableString here).</summary>
        public static string Create(IFormatProvider provider, FormattableString text) => text.ToString(provider);
    }

    extension(string text)
    {
        public string ReplaceLineEndings(string replacement) =>
            text.Replace("\r\n", replacement).Replace("\r", replacement).Replace("\n", replacement).Replace("\u0085", replacement)
                .Replace("\u2028", replacement).Replace("\u2029", replacement).Replace("\f", replacement);
    }

    extension(Stream stream)
    {
        public int ReadAtLeast(Span<byte> buffer, int minimumBytes, bool throwOnEndOfStream = true)
        {
            int total = 0;
            while (total < minimumBytes)
            {
                int read = stream.Read(buffer[total..]);
                if (read == 0)
                {
                    if (throwOnEndOfStream)
                        throw new EndOfStreamException($"The stream ended {minimumBytes - total} bytes early.");
                    break;
                }
                total += read;
            }
            return total;
        }

        public void ReadExactly(Span<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                int read = stream.Read(buffer);
                if (read == 0)
                    throw new EndOfStreamException($"The stream ended {buffer.Length} bytes early.");
                buffer = buffer[read..];
            }
        }
    }

    extension(FileInfo file)
    {
        /// <summary>Non-null when the file is a symbolic link (this profile cannot read where it points).</summary>
        public string? LinkTarget => file.Exists && (file.Attributes & FileAttributes.ReparsePoint) != 0 ? "(symbolic link)" : null;
    }

    extension(SHA256)
    {
        public static byte[] HashData(byte[] source)
        {
            using var sha = SHA256.Create();
            return sha.ComputeHash(source);
        }

        public static byte[] HashData(ReadOnlySpan<byte> source) => SHA256.HashData(source.ToArray());
    }

    extension(Convert)
    {
        public static string ToHexStringLower(byte[] bytes)
        {
            const string Digits = "0123456789abcdef";
            var chars = new char[bytes.Length * 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = Digits[bytes[i] >> 4];
                chars[2 * i + 1] = Digits[bytes[i] & 0xF];
            }
            return new string(chars);
        }
    }

    extension(OperatingSystem)
    {
        public static bool IsWindows() => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        public static bool IsMacOS() => RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
    }

    extension<T>(Span<T> span)
    {
        /// <summary>Sorts in place (through an array: the netstandard2.1 span has no Sort).</summary>
        public void Sort()
        {
            var array = span.ToArray();
            Array.Sort(array);
            array.CopyTo(span);
        }
    }

    extension(Array)
    {
        /// <summary>The largest index count of a byte array, as .NET defines it.</summary>
        public static int MaxLength => 0x7FFFFFC7;

        public static void Clear(Array array) => Array.Clear(array, 0, array.Length);
    }

    extension(File)
    {
        /// <summary>Moves a file over another (an atomic rename where the file system has one, as the newer overload).</summary>
        public static void Move(string source, string destination, bool overwrite)
        {
            if (overwrite && File.Exists(destination))
                File.Replace(source, destination, null);
            else
                File.Move(source, destination);
        }
    }

    extension<TKey, TValue>(ConcurrentDictionary<TKey, TValue> dictionary) where TKey : notnull
    {
        /// <summary>Removes the entry only while it still holds this value (atomic, as the newer overload).</summary>
        public bool TryRemove(KeyValuePair<TKey, TValue> item) => ((ICollection<KeyValuePair<TKey, TValue>>)dictionary).Remove(item);
    }

    extension(Stopwatch)
    {
        public static TimeSpan GetElapsedTime(long startingTimestamp) =>
            TimeSpan.FromTicks((long)((Stopwatch.GetTimestamp() - startingTimestamp) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
    }
}

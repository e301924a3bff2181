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
    }

    extension(Stream stream)
    {
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

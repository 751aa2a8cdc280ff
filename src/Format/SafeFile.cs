using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Warmup.Format;

/// <summary>Options for <see cref="SafeFile.WriteAtomic"/>.</summary>
public sealed class AtomicWriteOptions
{
    /// <summary>When the existing file already holds the same bytes, leave it (and its timestamp) untouched. Default true.</summary>
    public bool PreserveUnchanged { get; init; } = true;

    /// <summary>Stops the write between two writes to the stream; the temp file is removed and the target is untouched.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The replaced file's last-write time, set before the rename (a copy that keeps its source's timestamp); null: now.</summary>
    public DateTime? LastWriteTimeUtc { get; init; }
}

/// <summary>
/// The one way Warmup opens its inputs and replaces its outputs, safe against hostile paths.
/// <list type="bullet">
/// <item>Reading opens regular files only: a FIFO, socket or device (<c>/dev/zero</c>) is refused with a clear error before
/// anything blocks or is read; symbolic links are followed to their target, which must be a regular file.</item>
/// <item>Writing is atomic: a temp file in the target's folder, flushed to disk, then renamed over the target; nothing is
/// replaced when the bytes are unchanged; on failure or cancellation the temp file is removed and the target untouched.
/// Only a regular file (or nothing) is replaced: a FIFO, device, socket or directory at the target is refused. A symbolic
/// link to a regular file is kept and its target file is replaced (as a shell's <c>&gt;</c> writes through a link); a
/// dangling link or one to anything but a regular file is refused.</item>
/// </list>
/// Errors are <see cref="IOException"/> (or <see cref="FileNotFoundException"/>, <see cref="UnauthorizedAccessException"/>)
/// whose message starts with the path.
/// </summary>
public static partial class SafeFile
{
    private static readonly ConcurrentDictionary<string, byte> LiveTemps = new(StringComparer.Ordinal);

    /// <summary>
    /// Opens <paramref name="path"/> for reading when it is a regular file (after following links). <paramref name="what"/>
    /// names the file in errors, e.g. <c>the warmup file</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device, or cannot be opened.</exception>
    public static FileStream OpenRead(string path, string what = "the file", int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireRegular(path, what);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        try
        {
            // The path may have been swapped between the check and the open: check what was opened.
            if (Kind(stream.SafeFileHandle) is { } kind and not FileKind.Regular)
            {
                throw NotRegular(path, what, kind);
            }

            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole regular file whose size is at most <paramref name="maxBytes"/> (checked before anything is allocated).</summary>
    public static byte[] ReadAllBytes(string path, string what, long maxBytes)
    {
        using var stream = OpenRead(path, what);
        var length = stream.Length;
        if (length > maxBytes || length > Array.MaxLength)
        {
            throw new IOException($"{path}: {what} is {length} bytes, above the limit of {maxBytes}.");
        }

        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a regular file (after following links) without opening it.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device.</exception>
    public static void RequireRegular(string path, string what = "the file")
    {
        ArgumentNullException.ThrowIfNull(path);
        switch (Kind(path, followLinks: true))
        {
            case null:
                throw new FileNotFoundException($"{path}: file not found. Check the path of {what}.", path);
            case FileKind.Regular:
                return;
            case var kind:
                throw NotRegular(path, what, kind.Value);
        }
    }

    /// <summary>
    /// Writes a file atomically through <paramref name="write"/> (see the class remarks for the rules). Returns false when
    /// the file already held exactly these bytes and was left alone.
    /// </summary>
    public static bool WriteAtomic(string path, Action<Stream> write, AtomicWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        options ??= new AtomicWriteOptions();
        var target = ResolveTarget(path);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        LiveTemps.TryAdd(temp, 0);
        try
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var guarded = new CancellableStream(file, options.CancellationToken))
                {
                    write(guarded);
                }

                file.Flush(flushToDisk: true);
            }

            options.CancellationToken.ThrowIfCancellationRequested();
            if (options.LastWriteTimeUtc is { } time)
            {
                File.SetLastWriteTimeUtc(temp, time);
            }

            if (options.PreserveUnchanged && SameBytes(temp, target))
            {
                return false;
            }

            // Checked again right before the rename: the target may have changed while the file was written.
            CheckReplaceable(path, target);
            File.Move(temp, target, overwrite: true);
            return true;
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the original failure matters more.
            }

            LiveTemps.TryRemove(temp, out _);
        }
    }

    /// <summary>Removes the temp files of writes in flight (for a signal handler that ends the process). Internal to the tool.</summary>
    internal static void DeleteTempFiles()
    {
        foreach (var temp in LiveTemps.Keys)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process is ending; nothing else can be done.
            }
        }
    }

    /// <summary>The file that a write to <paramref name="path"/> replaces: the path itself, or the final target of a link.</summary>
    private static string ResolveTarget(string path)
    {
        var full = Path.GetFullPath(path);
        var kind = Kind(full, followLinks: false);
        if (kind == FileKind.Link)
        {
            var final = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
            var finalKind = Kind(final, followLinks: false);
            if (finalKind is null)
            {
                throw new IOException($"{path}: is a symbolic link to {final}, which does not exist; refusing to write through it. Remove the link or pass another path.");
            }

            CheckReplaceable(path, final);
            return final;
        }

        CheckReplaceable(path, full);
        return full;
    }

    private static void CheckReplaceable(string path, string target)
    {
        var kind = Kind(target, followLinks: false);
        if (kind is null or FileKind.Regular)
        {
            return;
        }

        var shown = target == Path.GetFullPath(path) ? "" : $" (through a link to {target})";
        throw kind == FileKind.Directory
            ? new IOException($"{path}: is a directory{shown}. Pass an output file path.")
            : new IOException($"{path}: is a {Describe(kind.Value)}{shown}, not a regular file; refusing to replace it. Pass a regular file path, or '-' for standard output where the command allows it.");
    }

    private static bool SameBytes(string a, string b)
    {
        var infoA = new FileInfo(a);
        var infoB = new FileInfo(b);
        if (!infoB.Exists || infoA.Length != infoB.Length || Kind(b, followLinks: false) != FileKind.Regular)
        {
            return false;
        }

        const int Chunk = 1 << 16;
        using var streamA = infoA.OpenRead();
        using var streamB = infoB.OpenRead();
        var bufferA = new byte[Chunk];
        var bufferB = new byte[Chunk];
        int read;
        while ((read = streamA.ReadAtLeast(bufferA, Chunk, throwOnEndOfStream: false)) > 0)
        {
            if (streamB.ReadAtLeast(bufferB, read, throwOnEndOfStream: false) != read || !bufferA.AsSpan(0, read).SequenceEqual(bufferB.AsSpan(0, read)))
            {
                return false;
            }
        }

        return true;
    }

    private static IOException NotRegular(string path, string what, FileKind kind) => kind == FileKind.Directory
        ? new IOException($"{path}: is a directory, but {what} must be a file. Pass the file's path.")
        : new IOException($"{path}: is a {Describe(kind)}, not a regular file; {what} must be a regular file. Copy the data to a file and pass its path.");

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Socket => "socket",
        FileKind.Link => "symbolic link",
        FileKind.Directory => "directory",
        _ => "special file",
    };

    internal enum FileKind { Regular, Directory, Link, Fifo, CharacterDevice, BlockDevice, Socket, Other }

    /// <summary>What is at <paramref name="path"/>, or null when nothing is.</summary>
    internal static FileKind? Kind(string path, bool followLinks)
    {
        if (OperatingSystem.IsWindows())
        {
            var info = new FileInfo(path);
            if (!info.Exists && !Directory.Exists(path))
            {
                return null;
            }

            var attributes = File.GetAttributes(path);
            return !followLinks && attributes.HasFlag(FileAttributes.ReparsePoint) ? FileKind.Link
                : attributes.HasFlag(FileAttributes.Directory) ? FileKind.Directory
                : FileKind.Regular;
        }

        var status = new FileStatus();
        var rc = followLinks ? Native.Stat(path, ref status) : Native.LStat(path, ref status);
        return rc != 0 ? null : FromMode(status.Mode);
    }

    private static FileKind? Kind(SafeFileHandle handle)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var status = new FileStatus();
        return Native.FStat(handle, ref status) != 0 ? null : FromMode(status.Mode);
    }

    // System.Native reports the file type with the POSIX S_IFMT bits, normalized across Unix platforms.
    private static FileKind FromMode(int mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.Link,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xC000 => FileKind.Socket,
        _ => FileKind.Other,
    };

    // The runtime's own portable stat (libSystem.Native ships with every .NET on Unix, and Native AOT links it in): only
    // its first two fields are read, and the struct is padded well past the runtime's so that a larger one still fits.
    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
#pragma warning disable IDE0051, CS0169 // Padding that System.Native writes into.
        private unsafe fixed byte _rest[504];
#pragma warning restore IDE0051, CS0169
    }

    private static partial class Native
    {
        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Stat(string path, ref FileStatus status);

        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int LStat(string path, ref FileStatus status);

        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_FStat")]
        internal static partial int FStat(SafeFileHandle handle, ref FileStatus status);
    }

    /// <summary>Passes writes through, throwing <see cref="OperationCanceledException"/> once the token is cancelled.</summary>
    private sealed class CancellableStream(Stream inner, CancellationToken token) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            token.ThrowIfCancellationRequested();
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            token.ThrowIfCancellationRequested();
            inner.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            token.ThrowIfCancellationRequested();
            inner.WriteByte(value);
        }
    }
}

using BitSieve.Storage;

namespace BitSieve;

public sealed partial class Database
{
    /// <summary>The file in <c>collections/</c> that records a replacement under way, so that opening after a crash finishes or undoes it.</summary>
    internal const string ReplacementJournal = ".replacing";

    /// <summary>
    /// Makes the collection <paramref name="replacement"/> the collection <paramref name="name"/>: the collection named
    /// <paramref name="name"/> until now (if any) is deleted, and <paramref name="replacement"/>'s name is free afterwards.
    /// Built for re-indexing: fill a new collection beside the old one, which answers searches meanwhile, then swap. Two
    /// directory renames do the swap, recorded first in a journal; a crash or an error between them is undone (the old
    /// collection back under <paramref name="name"/>, the replacement under its own name) here or on the next open for
    /// writing, and a crash after them is finished. A read-only open of <paramref name="name"/> that falls between the two
    /// renames finds no collection; one already open keeps reading the old files.
    /// </summary>
    /// <returns>The collection now named <paramref name="name"/>.</returns>
    /// <exception cref="KeyNotFoundException"><paramref name="replacement"/> does not exist.</exception>
    /// <exception cref="ArgumentException">An invalid name, or the same name twice.</exception>
    public Collection ReplaceCollection(string name, string replacement)
    {
        lock (_gate)
        {
            CheckWritable();
            CheckName(name);
            CheckName(replacement);
            if (name == replacement) throw new ArgumentException($"A collection cannot replace itself ('{name}').", nameof(replacement));
            string source = CollectionPath(replacement), target = CollectionPath(name);
            if (!Directory.Exists(source)) throw new KeyNotFoundException($"Collection '{replacement}' does not exist in the database '{Path}'.");
            string collections = System.IO.Path.Combine(Path, CollectionsFolder);
            // Both are closed with a checkpoint: the replacement's points are then in its own files, whatever its folder is called.
            if (_open.Remove(replacement, out var incoming)) incoming.Close(checkpoint: true);
            if (_open.Remove(name, out var outgoing)) outgoing.Close(checkpoint: true);
            if (!Directory.Exists(target))
            {
                StorageFiles.Current.MoveDirectory(source, target);
                StorageFiles.Current.SyncDirectory(collections);
                return OpenLocked(name);
            }

            string retired = StagingPath("replaced");
            WriteReplacementJournal(collections, name, replacement, System.IO.Path.GetFileName(retired));
            try
            {
                StorageFiles.Current.MoveDirectory(target, retired);
                StorageFiles.Current.MoveDirectory(source, target);
                StorageFiles.Current.SyncDirectory(collections);
            }
            catch
            {
                RecoverReplacement();
                throw;
            }
            RecoverReplacement(); // the swap is done: removes the old folder and the journal
            return OpenLocked(name);
        }
    }

    /// <summary>Writes the journal whole (a temporary file, fsynced, renamed into place, the directory synced) before the first rename.</summary>
    private static void WriteReplacementJournal(string collections, string name, string replacement, string retired)
    {
        string journal = System.IO.Path.Combine(collections, ReplacementJournal);
        string temporary = journal + ".tmp";
        using (var stream = StorageFiles.Current.Create(temporary))
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write($"{name}\n{replacement}\n{retired}\n");
            writer.Flush();
            StorageFiles.Current.Sync(stream);
        }
        StorageFiles.Current.Replace(temporary, journal);
        StorageFiles.Current.SyncDirectory(collections);
    }

    /// <summary>
    /// Finishes or undoes a replacement the journal records: with the collection's folder in place the swap happened,
    /// and the old folder is removed; without it, the old folder goes back under the name (the replacement is left as
    /// it is). Then removes the journal. A journal that is not three valid lines is reported, not guessed at.
    /// </summary>
    private void RecoverReplacement()
    {
        string collections = System.IO.Path.Combine(Path, CollectionsFolder);
        string journal = System.IO.Path.Combine(collections, ReplacementJournal);
        if (File.Exists(journal + ".tmp")) StorageFiles.Current.Delete(journal + ".tmp"); // a journal never renamed into place: no rename followed
        if (!File.Exists(journal)) return;
        string[] lines = File.ReadAllText(journal).Split('\n');
        if (lines.Length != 4 || lines[3].Length != 0 || !IsValidName(lines[0]) || !IsValidName(lines[1]) || !lines[2].StartsWith(".replaced-", StringComparison.Ordinal)
            || lines[2].Contains('/', StringComparison.Ordinal) || lines[2].Contains('\\', StringComparison.Ordinal))
            throw new InvalidDataException($"The replacement journal '{journal}' is damaged: it must hold a collection's name, its replacement's and a '.replaced-' folder, one a line. Restore the collections by hand and remove it.");
        string target = CollectionPath(lines[0]), retired = System.IO.Path.Combine(collections, lines[2]);
        if (Directory.Exists(retired))
        {
            if (Directory.Exists(target)) TryDeleteDirectory(retired);
            else StorageFiles.Current.MoveDirectory(retired, target);
            StorageFiles.Current.SyncDirectory(collections);
        }
        StorageFiles.Current.Delete(journal);
        StorageFiles.Current.SyncDirectory(collections);
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace BitSieve.Cli;

/// <summary>
/// The standard help, followed by the notes of the command asked about: text too long for the one-line description
/// that the parent's command list shows.
/// </summary>
internal sealed class HelpWithNotes(HelpAction standard, IReadOnlyDictionary<Command, string> notes) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        int code = standard.Invoke(parseResult);
        if (notes.TryGetValue(parseResult.CommandResult.Command, out string? text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(text);
            output.WriteLine();
        }
        return code;
    }
}

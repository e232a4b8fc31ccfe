using System.Net.Http.Headers;
using System.Text;
using BankAccount.Api;
using Microsoft.AspNetCore.Builder;

namespace BankAccount.Api.Tests;

/// <summary>
/// The API started in process exactly as <c>dotnet run</c> starts it, on Kestrel bound to 127.0.0.1 on a
/// free port, and an <see cref="HttpClient"/> for it. A backend is one derived class: override
/// <see cref="ConfigureAsync"/> to add its settings (e.g. <c>ConnectionStrings:EventStore</c>).
/// </summary>
public abstract class ApiHost : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>A client whose base address is the running API.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The API's base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Adds the backend's command-line settings; the in-memory backend needs none.</summary>
    /// <param name="args">The arguments so far.</param>
    /// <returns>A task that completes when the backend is ready.</returns>
    protected virtual ValueTask ConfigureAsync(List<string> args) => ValueTask.CompletedTask;

    /// <summary>Releases what <see cref="ConfigureAsync"/> started.</summary>
    /// <returns>A task that completes when done.</returns>
    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var args = new List<string> { "--urls", "http://127.0.0.1:0", "--environment", "Testing", "--Logging:LogLevel:Default=Warning" };
        await ConfigureAsync(args);
        _app = BankApi.Create([.. args]);
        await _app.StartAsync();
        // With port 0 Kestrel picks a free port; after the start, Urls holds the address it bound.
        var address = _app.Urls.Single();
        BaseAddress = new Uri(address + "/");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Sends a request with a JSON body (sent as given, so tests can send broken JSON) and headers.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}

/// <summary>The API on the in-memory store (the default, with no configuration).</summary>
public sealed class InMemoryApiHost : ApiHost;

"""The online client: PubMed (NCBI E-utilities), Europe PMC and NIH iCite, asked only when the user says so.

What is fetched is stored in the library, so the next visit is offline. The command line and the
app call ``fetch_articles`` and ``search_online`` (``fetch.py``); everything else here serves them:

- ``config``: where the services are and who we are (environment, then ``config.toml``);
- ``ratelimit``: requests spaced to each service's limit, shared across threads;
- ``http``: one client per service, with timeouts, retries and one-line errors (``OnlineError``);
- ``answers``: telling usable answers from HTML error pages, cut-off bodies and stated errors;
- ``eutils`` / ``europepmc``: the requests and what their answers mean;
- ``icite``: NIH iCite's link lists and citation metrics, 200 PMIDs a request (``store.snowball``);
- ``metrics``: a set's citation metrics from iCite (``pmbrowse metrics --online``);
- ``session``: the three clients, configured; ``events``: progress and waiting, for the screen;
- ``links``: merging link lists per target; ``saving``: one transaction; ``report``: what a fetch did.

Import what you need from those modules (``store.online.fetch``, ``store.online.report``...): this
package imports nothing itself, so naming its light modules (``config``, ``events``) does not load the
HTTP client, which the command line would otherwise pay for on every command.
"""

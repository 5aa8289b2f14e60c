package dev.davkit.test

import dev.davkit.DavException

/** The status of any DavException variant (every variant has the same fields). */
fun status(e: DavException): UShort? = when (e) {
    is DavException.Http -> e.status
    is DavException.Unauthorized -> e.status
    is DavException.Forbidden -> e.status
    is DavException.NotFound -> e.status
    is DavException.PreconditionFailed -> e.status
    is DavException.InvalidSyncToken -> e.status
    is DavException.RateLimited -> e.status
    is DavException.Xml -> e.status
    is DavException.ICalendar -> e.status
    is DavException.VCard -> e.status
    is DavException.Protocol -> e.status
    is DavException.InvalidInput -> e.status
    is DavException.Unsupported -> e.status
    is DavException.Redirect -> e.status
    is DavException.Transport -> e.status
    is DavException.Other -> e.status
}

/** The URL of any DavException variant. */
fun url(e: DavException): String? = when (e) {
    is DavException.Http -> e.url
    is DavException.Unauthorized -> e.url
    is DavException.Forbidden -> e.url
    is DavException.NotFound -> e.url
    is DavException.PreconditionFailed -> e.url
    is DavException.InvalidSyncToken -> e.url
    is DavException.RateLimited -> e.url
    is DavException.Xml -> e.url
    is DavException.ICalendar -> e.url
    is DavException.VCard -> e.url
    is DavException.Protocol -> e.url
    is DavException.InvalidInput -> e.url
    is DavException.Unsupported -> e.url
    is DavException.Redirect -> e.url
    is DavException.Transport -> e.url
    is DavException.Other -> e.url
}

# The LemonLDAP::NG portal as the Debian package's portal-apache2.X.conf
# serves it, for plackup: /static/ from the portal's htdocs, /javascript/
# from /usr/share/javascript (the javascript-common package's alias), the
# paths that conf denies denied, and everything else to the package's own
# index.psgi, unchanged.
use strict;
use Plack::Builder;
use Plack::App::File;
use Plack::Util;

my $htdocs = '/usr/share/lemonldap-ng/portal/htdocs';
my $portal = Plack::Util::load_psgi("$htdocs/index.psgi");
my $denied = sub { [ 403, [ 'Content-Type' => 'text/plain' ], ['forbidden'] ] };

builder {
    mount '/static/'        => Plack::App::File->new( root => "$htdocs/static" )->to_app;
    mount '/javascript/'    => Plack::App::File->new( root => '/usr/share/javascript' )->to_app;
    mount '/adminSessions'  => $denied;
    mount '/proxy'          => $denied;
    mount '/'               => $portal;
};

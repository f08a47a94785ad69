import factory
from django.utils import timezone

from buurtnet.people.models import Person


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    class Params:
        at = None  # (longitude, latitude) of the home

    email = factory.Sequence(lambda n: f"person{n}@example.be")
    full_name = factory.Faker("name", locale="nl_BE")
    language = "en"
    phone = factory.Sequence(lambda n: f"+32470{n:06d}")
    phone_verified_at = factory.LazyFunction(timezone.now)
    street = "Kerkstraat"
    house_number = factory.Sequence(lambda n: str(n % 200 + 1))
    postcode = "8500"
    city = "Kortrijk"
    longitude = factory.LazyAttribute(lambda o: o.at[0] if o.at else None)
    latitude = factory.LazyAttribute(lambda o: o.at[1] if o.at else None)
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def confirmed_email(obj, create, extracted, **kwargs):
        """A confirmed e-mail address, as after sign-up; confirmed_email=False leaves none."""
        from allauth.account.models import EmailAddress

        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
